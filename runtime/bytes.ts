// Why: map keys/values and packets are raw little-endian bytes; these tiny
// codecs keep tests and callers from hand-rolling DataView code everywhere.

/** 4-byte little-endian encoding of an unsigned 32-bit integer. */
export function u32le(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`u32le: ${n} is not a u32`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/** 8-byte little-endian encoding of an unsigned 64-bit integer. */
export function u64le(n: bigint): Uint8Array {
  if (n < 0n || n > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64le: ${n} is not a u64`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Little-endian u32 at `off`. */
export function readU32(bytes: Uint8Array, off = 0): number {
  return view(bytes).getUint32(off, true);
}

/** Little-endian u64 at `off`. */
export function readU64(bytes: Uint8Array, off = 0): bigint {
  return view(bytes).getBigUint64(off, true);
}
