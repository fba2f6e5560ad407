// XDP programs over the differential fuzzer's state struct, for the loop() body cost tests.

/**
 * A program whose `loop()` body is `function body(i: u32, s: S): i64 { <body> }` and whose XDP
 * function runs `main` after declaring `s0: S = { a: 1, b: 4, c: 7, d: 10, e: 13, f: 16 }` (after
 * reading `p`, a header of two u32 `x` and `y`, with `input`), then passes the packet. `results` is
 * an ArrayMap<u64> of 4 entries.
 */
export function stateProgram(body: string, main: string, { input = false } = {}): string {
  const read = input ? "  const p = ctx.header<Input>(0);\n  if (p === null) return XdpAction.ABORTED;\n" : "";
  return `import { xdp, XdpAction, ArrayMap, loop, ntohs, ntohl, ntohll, u8, u16, u32, u64, i8, i32, i64 } from "tsbpf/bpf";
interface S { a: u8; b: i64; c: u16; d: i32; e: i8; f: u32 }
interface Input { x: u32; y: u32 }
const results = new ArrayMap<u64>(4);
function body(i: u32, s: S): i64 {
  ${body}
}
export const prog = xdp((ctx) => {
${read}  const s0: S = { a: 1, b: 4, c: 7, d: 10, e: 13, f: 16 };
  ${main}
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
`;
}
