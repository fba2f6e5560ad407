// The tables the compiler and runtime share, checked against the running kernel: helper ids against
// `enum bpf_func_id`, program and attach type numbers against their enums (all from
// /sys/kernel/btf/vmlinux), the program types each intrinsic allows against what the verifier
// accepts (a probe load per helper and type), and the stdlib declarations against the table.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBtf, type Btf, type BtfMemberInfo } from "../common/btf-reader.js";
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE, sectionType, type ProgTypeName } from "../common/program-types.js";
import { HELPER } from "../compiler/frontend/helper-ids.js";
import { CTX_METHODS, INTRINSICS, type Intrinsic } from "../compiler/frontend/helpers-table.js";
import { PROGRAM_KINDS } from "../compiler/frontend/program-kinds.js";
import { describeKernel, describeWithBtf } from "./kernel-env.js";
import { probeHelper } from "./support/helper-probe.js";

const VMLINUX = "/sys/kernel/btf/vmlinux";
let vmlinux: Btf | undefined;
const kernelBtf = (): Btf => (vmlinux ??= parseBtf(readFileSync(VMLINUX)));

/** Members of a kernel enum by name, prefix removed. */
function kernelEnum(name: string, prefix: RegExp): Map<string, number> {
  const t = kernelBtf().types.find((x) => (x.kind === "ENUM" || x.kind === "ENUM64") && x.name === name);
  if (!t || (t.kind !== "ENUM" && t.kind !== "ENUM64")) throw new Error(`no enum ${name} in ${VMLINUX}`);
  return new Map(t.values.map((v) => [v.name.replace(prefix, ""), Number(v.value)]));
}

describeWithBtf("tables against the kernel's BTF", () => {
  it("helper ids are enum bpf_func_id's, the whole enum (npm run gen:helper-ids writes them)", () => {
    const ids = kernelEnum("bpf_func_id", /^BPF_FUNC_/);
    for (const [name, id] of Object.entries(HELPER)) expect(ids.get(name), `BPF_FUNC_${name}`).toBe(id);
    const missing = [...ids.keys()].filter((n) => !n.startsWith("__") && !Object.hasOwn(HELPER, n));
    expect(missing, "helpers of this kernel missing from helper-ids.ts").toEqual([]);
  });
  it("program types are enum bpf_prog_type's, every one of them", () => {
    const ids = kernelEnum("bpf_prog_type", /^BPF_PROG_TYPE_/);
    for (const [name, id] of Object.entries(BPF_PROG_TYPE)) expect(ids.get(name), `BPF_PROG_TYPE_${name}`).toBe(id);
    const missing = [...ids.keys()].filter((n) => n !== "UNSPEC" && !n.startsWith("__") && !Object.hasOwn(BPF_PROG_TYPE, n));
    expect(missing, "program types of this kernel missing from common/program-types.ts").toEqual([]);
  });
  it("attach types are enum bpf_attach_type's", () => {
    const ids = kernelEnum("bpf_attach_type", /^BPF_/);
    for (const [name, id] of Object.entries(BPF_ATTACH_TYPE)) expect(ids.get(name), `BPF_${name}`).toBe(id);
  });
});

/** Attach-point arguments for wrappers whose section depends on them (the rest take any name). */
const SAMPLE_ARGS: Record<string, string[]> = {
  cgroupSkb: ["ingress"],
  cgroupSockAddr4: ["connect4"],
  cgroupSockAddr6: ["bind6"],
  cgroupSock: ["sock_create"],
  skSkb: ["stream_verdict"],
};

describe("program kinds and sections", () => {
  it("every program kind's section selects the kind's program type", () => {
    for (const k of Object.values(PROGRAM_KINDS)) {
      const section = k.section((SAMPLE_ARGS[k.wrapper] ?? ["a", "b"]).slice(0, k.nameArgs));
      const st = sectionType(section);
      expect(st?.type, `${k.wrapper}: section '${section}'`).toBe(k.type);
    }
  });
});

/** Members of a struct with those of anonymous unions and structs lifted to the top (offsets added). */
function flatMembers(ms: BtfMemberInfo[], base = 0): BtfMemberInfo[] {
  return ms.flatMap((x) => {
    const t = kernelBtf().resolve(x.type);
    if (x.name === "" && (t.kind === "UNION" || t.kind === "STRUCT")) return flatMembers(t.members, base + x.bitOffset);
    return [{ ...x, bitOffset: base + x.bitOffset }];
  });
}

describeWithBtf("context layouts against the kernel's BTF", () => {
  it("every context field has its kernel struct member's offset and size", () => {
    const wrong: string[] = [];
    for (const k of Object.values(PROGRAM_KINDS)) {
      if (!k.ctxStruct || k.ctx.kind !== "fields") continue;
      const st = kernelBtf().types.find((t) => t.kind === "STRUCT" && t.name === k.ctxStruct);
      if (st?.kind !== "STRUCT") throw new Error(`no struct ${k.ctxStruct} in ${VMLINUX}`);
      for (const [name, f] of Object.entries(k.ctx.fields)) {
        // user_ip6_2 is word 2 of the array member user_ip6.
        const m = /^(.*)_(\d)$/.exec(name);
        const members = flatMembers(st.members);
        const member = members.find((x) => x.name === name) ?? (m ? members.find((x) => x.name === m[1]) : undefined);
        if (!member) {
          wrong.push(`${k.wrapper}: ${k.ctxStruct} has no member ${name}`);
          continue;
        }
        const index = member.name === name ? 0 : Number(m![2]);
        const resolved = kernelBtf().resolve(member.type);
        const elemSize = resolved.kind === "ARRAY" ? kernelBtf().sizeOf(resolved.elem) : kernelBtf().sizeOf(member.type);
        const offset = member.bitOffset / 8 + index * elemSize;
        if (offset !== f.offset || elemSize !== f.size)
          wrong.push(`${k.wrapper}.${name}: table ${f.offset}/${f.size}, kernel ${offset}/${elemSize}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("intrinsics table and stdlib", () => {
  const stdlib = readFileSync(join(import.meta.dirname, "..", "stdlib", "bpf.d.ts"), "utf8");
  const declared = new Set([...stdlib.matchAll(/^export declare function (\w+)/gm)].map((m) => m[1]));
  it("every intrinsic is declared in stdlib/bpf.d.ts", () => {
    expect(Object.keys(INTRINSICS).filter((n) => !declared.has(n))).toEqual([]);
  });
  it("every stdlib function is an intrinsic, a program wrapper or zero()", () => {
    const known = new Set([...Object.keys(INTRINSICS), ...Object.keys(PROGRAM_KINDS), "zero"]);
    expect([...declared].filter((n) => !known.has(n))).toEqual([]);
  });
  it("every helper row names a kernel version, and a declaration that names one agrees", () => {
    const wrong: string[] = [];
    for (const [name, row] of ALL_ROWS) {
      if (!row.helper) continue;
      expect(row.since, name).toMatch(/^\d+\.\d+$/);
      // The JSDoc right before `export declare function name` (free functions only).
      const at = stdlib.search(new RegExp(`^export declare function ${name}\\b`, "m"));
      if (at < 0) continue;
      const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(stdlib.slice(Math.max(0, at - 2000), at))?.[1] ?? "";
      const said = /\(kernel (\d+\.\d+)/.exec(doc)?.[1];
      if (said !== undefined && said !== row.since) wrong.push(`${name}: row ${row.since}, stdlib JSDoc ${said}`);
    }
    expect(wrong).toEqual([]);
  });
});

/** Free functions and context methods (`ctx.name`). */
const ALL_ROWS: [string, Intrinsic][] = [
  ...Object.entries(INTRINSICS),
  ...Object.entries(CTX_METHODS).map(([n, r]): [string, Intrinsic] => [`ctx.${n}`, r]),
];

/** Program types this machine loads (fentry/fexit/LSM are refused here: EPERM) with the attach type they need. */
const PROBE_TYPES: [ProgTypeName, number][] = [
  ["SOCKET_FILTER", 0],
  ["KPROBE", 0],
  ["SCHED_CLS", 0],
  ["SCHED_ACT", 0],
  ["TRACEPOINT", 0],
  ["XDP", 0],
  ["PERF_EVENT", 0],
  ["CGROUP_SKB", 0],
  ["CGROUP_SOCK", BPF_ATTACH_TYPE.CGROUP_INET_SOCK_CREATE],
  ["SOCK_OPS", 0],
  ["SK_SKB", 0],
  ["CGROUP_DEVICE", 0],
  ["SK_MSG", 0],
  ["RAW_TRACEPOINT", 0],
  ["CGROUP_SOCK_ADDR", BPF_ATTACH_TYPE.CGROUP_INET4_CONNECT],
  ["FLOW_DISSECTOR", 0],
  ["CGROUP_SYSCTL", 0],
  ["RAW_TRACEPOINT_WRITABLE", 0],
  ["SK_LOOKUP", BPF_ATTACH_TYPE.SK_LOOKUP],
  ["NETFILTER", BPF_ATTACH_TYPE.NETFILTER],
];

describeKernel("intrinsics' program types against the verifier", () => {
  it("each helper is allowed exactly in the program types the table lists", () => {
    const wrong: string[] = [];
    for (const [name, row] of ALL_ROWS) {
      if (!row.helper) continue;
      for (const [type, attach] of PROBE_TYPES) {
        const r = probeHelper(BPF_PROG_TYPE[type], HELPER[row.helper], attach);
        expect(r.answer, `${name} in ${type}: ${r.log}`).not.toBe("unknown");
        const table = !row.kinds || row.kinds.includes(type);
        if (table !== (r.answer === "allowed"))
          wrong.push(
            `${name} (bpf_${row.helper}) in ${type}: table ${table ? "allows" : "forbids"}, kernel ${r.answer === "allowed" ? "allows" : "forbids"}`,
          );
      }
    }
    expect(wrong).toEqual([]);
  });
});
