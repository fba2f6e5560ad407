// IR in, IR out: the shared check of the textual pass tests.

import { expect } from "vitest";
import { checkFunc } from "../../compiler/ir/check.js";
import type { Func } from "../../compiler/ir/ir.js";
import { parseFunc } from "../../compiler/ir/parse.js";
import { printFunc } from "../../compiler/ir/print.js";

/** IR text as the printer writes it. */
export const norm = (text: string): string => printFunc(parseFunc(text));

/** Run `pass` on the parsed input; the output must check clean and print as `expected`. */
export function expectPass(run: (f: Func) => unknown, input: string, expected: string): void {
  const f = parseFunc(input);
  expect(checkFunc(f)).toEqual([]);
  run(f);
  expect(checkFunc(f)).toEqual([]);
  expect(printFunc(f)).toBe(norm(expected));
}
