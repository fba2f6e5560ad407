// Test helper: a copy of raw BTF bytes with struct members moved, to stand in for "another kernel"
// whose layout differs (CO-RE portability tests pass it to libbpf as btf_custom_path).

/** Bytes each kind adds after the 12-byte common header (BTF_KIND_* order). */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1:
      return 4; // INT
    case 3:
      return 12; // ARRAY
    case 4:
    case 5:
      return 12 * vlen; // STRUCT, UNION
    case 6:
      return 8 * vlen; // ENUM
    case 13:
      return 8 * vlen; // FUNC_PROTO
    case 14:
      return 4; // VAR
    case 15:
      return 12 * vlen; // DATASEC
    case 17:
      return 4; // DECL_TAG
    case 19:
      return 12 * vlen; // ENUM64
    default:
      return 0; // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
  }
}

/**
 * Returns a copy of `btf` where, in struct `structName` (the first one with that name), each member
 * named in `moves` gets the bit offset of the member named by its value. Throws if a name is missing.
 */
export function moveMembers(btf: Uint8Array, structName: string, moves: Record<string, string>): Uint8Array {
  const out = new Uint8Array(btf);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const hdr = v.getUint32(4, true);
  const typeStart = hdr + v.getUint32(8, true);
  const typeEnd = typeStart + v.getUint32(12, true);
  const strStart = hdr + v.getUint32(16, true);
  const str = (off: number): string => {
    let e = strStart + off;
    while (out[e] !== 0) e++;
    return Buffer.from(out.subarray(strStart + off, e)).toString();
  };
  for (let p = typeStart; p < typeEnd; ) {
    const info = v.getUint32(p + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === 4 && str(v.getUint32(p, true)) === structName) {
      const kflag = info >>> 31 === 1;
      const members = new Map<string, number>();
      for (let i = 0; i < vlen; i++) members.set(str(v.getUint32(p + 12 + i * 12, true)), p + 12 + i * 12);
      for (const [name, like] of Object.entries(moves)) {
        const at = members.get(name);
        const from = members.get(like);
        if (at === undefined || from === undefined) throw new Error(`struct ${structName} has no member ${at === undefined ? name : like}`);
        const bits = v.getUint32(from + 8, true) & (kflag ? 0xffffff : 0xffffffff);
        const keep = kflag ? v.getUint32(at + 8, true) & 0xff000000 : 0;
        v.setUint32(at + 8, (keep | bits) >>> 0, true);
      }
      return out;
    }
    p += 12 + extraBytes(kind, vlen);
  }
  throw new Error(`no struct ${structName} in this BTF`);
}
