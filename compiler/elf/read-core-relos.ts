// Reads the CO-RE records of an object's .BTF.ext (struct bpf_core_relo per instruction) and renders
// them the way `llvm-objdump -dr` does ("CO-RE <byte_off> [16] struct task_struct::tgid (0:0)"), for
// `tsbpf disasm`.

import type { Btf, BtfType } from "../../common/btf-reader.js";

export interface CoreRecord {
  section: string;
  /** Byte offset of the patched instruction in its section. */
  insnOff: number;
  typeId: number;
  access: string;
  kind: number;
}

const KIND_NAMES = [
  "byte_off",
  "byte_sz",
  "field_exists",
  "signed",
  "lshift_u64",
  "rshift_u64",
  "local_type_id",
  "target_type_id",
  "type_exists",
  "type_size",
  "enumval_exists",
  "enumval_value",
  "type_matches",
];

/** The core_relo subsection of a .BTF.ext; strings come from the .BTF string table. */
export function readCoreRecords(ext: Uint8Array, btfBytes: Uint8Array): CoreRecord[] {
  const v = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < 32) return []; // no core_relo fields in the header
  const off = hdrLen + v.getUint32(24, true);
  const len = v.getUint32(28, true);
  if (len === 0 || off + len > ext.length) return [];
  const b = new DataView(btfBytes.buffer, btfBytes.byteOffset, btfBytes.byteLength);
  const strStart = b.getUint32(4, true) + b.getUint32(16, true);
  const str = (o: number): string => {
    let e = strStart + o;
    while (e < btfBytes.length && btfBytes[e] !== 0) e++;
    return new TextDecoder().decode(btfBytes.subarray(strStart + o, e));
  };
  const recSize = v.getUint32(off, true);
  const out: CoreRecord[] = [];
  for (let p = off + 4; p + 8 <= off + len; ) {
    const section = str(v.getUint32(p, true));
    const n = v.getUint32(p + 4, true);
    p += 8;
    for (let i = 0; i < n && p + 16 <= off + len; i++, p += recSize) {
      out.push({
        section,
        insnOff: v.getUint32(p, true),
        typeId: v.getUint32(p + 4, true),
        access: str(v.getUint32(p + 8, true)),
        kind: v.getUint32(p + 12, true),
      });
    }
  }
  return out;
}

/** `CO-RE <byte_off> [16] struct task_struct::real_parent (0:1)`, as llvm-objdump prints it. */
export function formatCoreRecord(btf: Btf, r: CoreRecord): string {
  const kind = KIND_NAMES[r.kind] ?? `kind ${r.kind}`;
  const t = btf.types[r.typeId];
  const tname = t ? typeName(t) : `#${r.typeId}`;
  const head = `CO-RE <${kind}> [${r.typeId}] ${tname}`;
  if (!t) return head;
  if (r.kind <= 5) {
    // Field: walk the access string's member indices from the type.
    const names: string[] = [];
    let cur: BtfType = btf.resolve(r.typeId);
    for (const step of r.access.split(":").slice(1).map(Number)) {
      if (cur.kind === "STRUCT" || cur.kind === "UNION") {
        const m = cur.members[step];
        if (!m) break;
        names.push(m.name || `<anon ${step}>`); // llvm-objdump's name for an anonymous member, by its index
        cur = btf.resolve(m.type);
      } else if (cur.kind === "ARRAY") {
        names.push(`[${step}]`);
        cur = btf.resolve(cur.elem);
      } else break;
    }
    return `${head}::${names.join(".")} (${r.access})`;
  }
  if (r.kind === 10 || r.kind === 11) {
    const e = btf.resolve(r.typeId);
    const val = e.kind === "ENUM" || e.kind === "ENUM64" ? e.values[Number(r.access)] : undefined;
    return val ? `${head}::${val.name} = ${val.value}` : head;
  }
  return head;
}

function typeName(t: BtfType): string {
  switch (t.kind) {
    case "STRUCT":
      return `struct ${t.name}`;
    case "UNION":
      return `union ${t.name}`;
    case "ENUM":
    case "ENUM64":
      return `enum ${t.name}`;
    default:
      return t.name || t.kind.toLowerCase();
  }
}
