// Base64 text decoded four characters at a time into a 3-byte group, the groups' bytes summed;
// a character outside the alphabet stops the decode. Four calls of a 6-result function per group,
// their OR compared: the verifier walks the rest once per combination (TSBPF3025; a lookup table
// instead is cheap, test/verifier-cost-outcomes.test.ts).
// sizes: 4 8 16 18 64
import { xdp, XdpAction, ArrayMap, u64, u32, u8 } from "tsbpf/bpf";
const N = 16;
const results = new ArrayMap<u64>(4);
function sextet(c: u32): u32 {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 43) return 62;
  if (c === 47) return 63;
  return 64;
}
interface Quad { a: u8; b: u8; c: u8; d: u8 }
export const p = xdp((ctx) => {
  let sum: u64 = 0;
  let groups: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    const q = ctx.header<Quad>(42 + i * 4);
    if (q === null) break;
    const a = sextet(q.a);
    const b = sextet(q.b);
    const c = sextet(q.c);
    const d = sextet(q.d);
    if ((a | b | c | d) >= 64) break;
    const g = (a << 18) | (b << 12) | (c << 6) | d;
    sum += u64((g >> 16) & 255) + u64((g >> 8) & 255) + u64(g & 255);
    groups++;
  }
  results.update(0, sum);
  results.update(1, u64(groups));
  return XdpAction.PASS;
});
export const LICENSE = "GPL";
