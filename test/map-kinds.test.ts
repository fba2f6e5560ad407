// The map-kind table (common/map-kinds.ts) against the running kernel's own definitions: every row's
// number must be the kernel's enum bpf_map_type value of the same name, the table must cover the
// whole enum, and the flag values must match the kernel's BPF_F_* constants. Also checks the rows'
// internal consistency (classes unique, methods only where a class exists).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { btfTest } from "./kernel-env.js";
import { parseBtf, type Btf } from "../common/btf-reader.js";
import { MAP_FLAG, MAP_HELPER, MAP_KIND_BY_CLASS, MAP_KINDS, MAP_TYPE, mapTypeName, type MapKind } from "../common/map-kinds.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const kinds = MAP_KINDS as readonly MapKind[];

function enumValues(btf: Btf, pred: (name: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of btf.types) {
    if (t.kind !== "ENUM" && t.kind !== "ENUM64") continue;
    for (const v of t.values) if (pred(v.name)) out.set(v.name, Number(v.value));
  }
  return out;
}

describe("map-kind table", () => {
  it("has one row per number, in order, with unique names and classes", () => {
    kinds.forEach((k, i) => expect(k.type, k.name).toBe(i));
    expect(new Set(kinds.map((k) => k.name)).size).toBe(kinds.length);
    const classes = kinds.filter((k) => k.cls).map((k) => k.cls);
    expect(new Set(classes).size).toBe(classes.length);
    expect(MAP_TYPE.RINGBUF).toBe(27);
    expect(mapTypeName(11)).toBe("LPM_TRIE");
    expect(mapTypeName(999)).toBe("type 999");
  });

  it("gives every supported class a shape and every method a known helper", () => {
    const helpers = new Set<number>(Object.values(MAP_HELPER));
    for (const k of kinds) {
      if (k.cls) {
        expect(k.shape, k.name).toBeDefined();
        expect(MAP_KIND_BY_CLASS[k.cls]).toBe(k);
      }
      for (const [m, id] of Object.entries(k.methods)) expect(helpers.has(id), `${k.name}.${m}`).toBe(true);
      // Required flags must be allowed flags, or no declaration could satisfy both rules.
      expect((k.requiredFlags ?? 0) & ~k.flagsAllowed, k.name).toBe(0);
      if (k.perCpu) expect(k.name).toMatch(/PERCPU/);
    }
  });

  btfTest("matches the kernel's enum bpf_map_type and BPF_F_* flags (/sys/kernel/btf/vmlinux)", () => {
    const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
    const enumType = btf.find("ENUM", "bpf_map_type");
    expect(enumType, "enum bpf_map_type in vmlinux BTF").toBeDefined();
    const kernel = enumValues(btf, (n) => n.startsWith("BPF_MAP_TYPE_"));
    // Every row is the kernel's value (rows newer than the running kernel would be absent there).
    for (const k of kinds) {
      const v = kernel.get(`BPF_MAP_TYPE_${k.name}`);
      if (v !== undefined) expect(v, k.name).toBe(k.type);
    }
    // Every kernel value has a row (aliases such as CGROUP_STORAGE_DEPRECATED share a number).
    for (const [name, v] of kernel) {
      if (name === "__MAX_BPF_MAP_TYPE") continue;
      expect(kinds[v], `${name} = ${v} has no row`).toBeDefined();
    }
    const flags = enumValues(btf, (n) => n.startsWith("BPF_F_"));
    for (const [name, v] of Object.entries(MAP_FLAG)) expect(flags.get(`BPF_F_${name}`), name).toBe(v);
    const funcs = enumValues(btf, (n) => n.startsWith("BPF_FUNC_"));
    for (const [name, v] of Object.entries(MAP_HELPER)) expect(funcs.get(`BPF_FUNC_${name}`), name).toBe(v);
  });
});
