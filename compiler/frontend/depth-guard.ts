// Bounds nesting before tsc and the lowering see it. tsc's parser and checker and our own walks are
// recursive: a few thousand nested brackets, unary operators, else-if arms or `a + a + ...` terms
// exhaust the stack (and tsc's name resolution is quadratic in the depth of a binary chain). Two
// cheap, iterative checks report such input with a span instead:
//   - before parsing, a token scan measures bracket depth plus chains that nest without brackets
//     (prefix operators, `?:`, assignments, if/else/loop heads), so the parser never overflows;
//   - after parsing, an explicit-stack walk bounds the syntax tree's depth (binary chains).

import type { Diagnostic } from "../diagnostic.js";
import { DIAGNOSTICS, formatMessage } from "../diagnostics-table.js";
import { ts } from "./ts-adapter.js";

/** Nesting levels the token scan accepts; tsc's parser alone manages about 800 here. */
export const MAX_NESTING = 200;
/** Syntax-tree depth accepted after parsing; real programs stay under 60. */
export const MAX_TREE_DEPTH = 1000;

const K = ts.SyntaxKind;
const OPEN = new Set([K.OpenParenToken, K.OpenBracketToken, K.OpenBraceToken]);
const CLOSE = new Set([K.CloseParenToken, K.CloseBracketToken, K.CloseBraceToken]);
const PREFIX = new Set([
  K.MinusToken,
  K.PlusToken,
  K.ExclamationToken,
  K.TildeToken,
  K.PlusPlusToken,
  K.MinusMinusToken,
  K.TypeOfKeyword,
  K.VoidKeyword,
  K.DeleteKeyword,
  K.AwaitKeyword,
  K.LessThanToken,
]);
/** Tokens after which the parser recurses without an opening bracket. */
const CHAIN = new Set([
  K.QuestionToken,
  K.EqualsToken,
  K.PlusEqualsToken,
  K.MinusEqualsToken,
  K.AsteriskEqualsToken,
  K.SlashEqualsToken,
  K.PercentEqualsToken,
  K.AmpersandEqualsToken,
  K.BarEqualsToken,
  K.CaretEqualsToken,
  K.LessThanLessThanEqualsToken,
  K.GreaterThanGreaterThanEqualsToken,
  K.GreaterThanGreaterThanGreaterThanEqualsToken,
  K.AsteriskAsteriskToken,
  K.EqualsGreaterThanToken,
  K.IfKeyword,
  K.ElseKeyword,
  K.WhileKeyword,
  K.ForKeyword,
  K.DoKeyword,
]);

/** The first place where the text nests deeper than MAX_NESTING, by a token scan; undefined if none. */
export function checkTokenNesting(fileName: string, text: string): Diagnostic | undefined {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, true, ts.LanguageVariant.Standard, text);
  const chain: number[] = [0];
  let unary = 0;
  let prevSignificant: ts.SyntaxKind = K.Unknown;
  let resetPending = false;
  for (let tok = scanner.scan(); tok !== K.EndOfFileToken; tok = scanner.scan()) {
    const level = chain.length - 1;
    if (resetPending && tok !== K.ElseKeyword) chain[level] = 0;
    resetPending = false;
    if (OPEN.has(tok)) chain.push(0);
    else if (CLOSE.has(tok)) {
      if (chain.length > 1) chain.pop();
      if (tok === K.CloseBraceToken) resetPending = true;
    } else if (tok === K.SemicolonToken || tok === K.CommaToken) resetPending = true;
    else if (CHAIN.has(tok)) chain[level] = (chain[level] ?? 0) + 1;
    // A prefix operator right after an operator or an opening bracket nests one more level.
    unary = PREFIX.has(tok) && !isOperand(prevSignificant) ? unary + 1 : 0;
    const depth = chain.length - 1 + sum(chain) + unary;
    if (depth > MAX_NESTING) {
      return depthDiagnostic(fileName, text, scanner.getTokenStart(), scanner.getTokenEnd() - scanner.getTokenStart(), depth);
    }
    prevSignificant = tok;
  }
  return undefined;
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Tokens after which `-`, `+`, `<` are binary operators rather than prefixes. */
function isOperand(k: ts.SyntaxKind): boolean {
  return (
    k === K.Identifier ||
    k === K.NumericLiteral ||
    k === K.StringLiteral ||
    k === K.BigIntLiteral ||
    k === K.CloseParenToken ||
    k === K.CloseBracketToken ||
    k === K.CloseBraceToken ||
    k === K.ThisKeyword ||
    k === K.TrueKeyword ||
    k === K.FalseKeyword ||
    k === K.NullKeyword ||
    k === K.PlusPlusToken ||
    k === K.MinusMinusToken
  );
}

/** The first node deeper than MAX_TREE_DEPTH in the parsed file, by an explicit-stack walk. */
export function checkTreeDepth(sf: ts.SourceFile): Diagnostic | undefined {
  const stack: [ts.Node, number][] = [[sf, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) {
      const start = node.getStart(sf);
      return depthDiagnostic(sf.fileName, sf.text, start, node.getEnd() - start, depth, MAX_TREE_DEPTH);
    }
    ts.forEachChild(node, (c) => {
      stack.push([c, depth + 1]);
    });
  }
  return undefined;
}

function depthDiagnostic(file: string, text: string, start: number, length: number, depth: number, max = MAX_NESTING): Diagnostic {
  return {
    code: "TSBPF1040",
    severity: "error",
    message: formatMessage("TSBPF1040", [depth, max]),
    hint: DIAGNOSTICS.TSBPF1040.hint,
    file,
    start,
    length,
    ...lineColOf(text, start),
  };
}

/** 1-based line and column of an offset, without a parsed file. */
export function lineColOf(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < pos; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: pos - lineStart + 1 };
}
