// A small eBPF interpreter for tests: ALU/ALU64 (incl. cpu v4 sdiv/smod/movsx), JMP/JMP32, LDX/STX/ST
// MEM, STX ATOMIC (add/or/and/xor with and without fetch, xchg, cmpxchg), ld_imm64 (maps, global
// variables, function addresses), helper calls (stubbed), bpf-to-bpf calls (src=1, resolved by the
// call relocation's symbol in `funcs`) and exit, over a 512-byte stack per frame, an optional
// read-only ctx buffer and optional global-data sections. It is strict where the verifier is:
// reading a register that was never written (or r1..r5 after a call, or r0/r6..r9 on entry to a
// subprogram) throws, writing r10 throws, stack reads of unwritten bytes and misaligned stack
// accesses throw, stores to .rodata throw.

import type { Insn } from "../../compiler/isa/insn.js";
import type { GlobalSectionLayout } from "../../compiler/object/globals.js";

export const CTX_BASE = 0x1000_0000n;
export const STACK_TOP = 0x7fff_0000n;
export const GLOBAL_BASE = 0x3000_0000n;
const FRAME_SIZE = 512n;
const MAX_FRAMES = 8;
const STACK_SIZE = FRAME_SIZE * BigInt(MAX_FRAMES);
const M64 = (1n << 64n) - 1n;

/** The value a function-address load (ld_imm64 src=4) yields in both interpreters. */
export function funcToken(symbol: string): bigint {
  return 0x6000_0000_0000n + (mapToken(symbol) & 0xffff_ffffn);
}

/**
 * Global-data sections as flat byte arrays at fixed addresses (GLOBAL_BASE + 64 KiB per section),
 * shared by both interpreters. `symbols` maps each variable to its address.
 */
export class GlobalMemory {
  constructor(
    readonly sections: { name: string; base: bigint; bytes: Uint8Array; readonly: boolean }[],
    readonly symbols: Map<string, bigint>,
  ) {}

  static fromLayout(layout: readonly GlobalSectionLayout[]): GlobalMemory {
    const symbols = new Map<string, bigint>();
    const sections = layout.map((s, k) => {
      const base = GLOBAL_BASE + BigInt(k) * 0x1_0000n;
      for (const v of s.vars) symbols.set(v.v.name, base + BigInt(v.offset));
      return { name: s.name, base, bytes: s.data.slice(), readonly: s.name === ".rodata" };
    });
    return new GlobalMemory(sections, symbols);
  }

  clone(): GlobalMemory {
    return new GlobalMemory(
      this.sections.map((s) => ({ ...s, bytes: s.bytes.slice() })),
      this.symbols,
    );
  }

  /** The section holding [addr, addr+size), if any. */
  find(addr: bigint, size: number): { bytes: Uint8Array; at: number; readonly: boolean } | undefined {
    for (const s of this.sections) {
      if (addr >= s.base && addr + BigInt(size) <= s.base + BigInt(s.bytes.length)) {
        return { bytes: s.bytes, at: Number(addr - s.base), readonly: s.readonly };
      }
    }
    return undefined;
  }

  /** Section contents by name, for comparing end states. */
  snapshot(): Record<string, number[]> {
    return Object.fromEntries(this.sections.map((s) => [s.name, [...s.bytes]]));
  }
}

/** The result of an atomic operation on `old` (width bits), shared by both interpreters. */
export function atomicResult(kind: "add" | "or" | "and" | "xor" | "xchg", old: bigint, v: bigint, bits: number): bigint {
  switch (kind) {
    case "add":
      return zx(old + v, bits);
    case "or":
      return zx(old | v, bits);
    case "and":
      return zx(old & v, bits);
    case "xor":
      return zx(old ^ v, bits);
    case "xchg":
      return zx(v, bits);
  }
}

/** The address a map symbol resolves to (both interpreters agree on it). */
export function mapToken(symbol: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const ch of symbol) h = BigInt.asUintN(64, (h ^ BigInt(ch.charCodeAt(0))) * 0x100000001b3n);
  return 0x5000_0000_0000n + (h & 0xffff_ffffn);
}

/** Helpers in tests are numbered 100 + (argument count); the result mixes the args and the call count. */
export function helperArgCount(id: number): number {
  return id >= 100 && id <= 105 ? id - 100 : 0;
}
export function stubHelper(id: number, args: bigint[], callIndex: number): bigint {
  let h = BigInt(id) * 0x9e3779b97f4a7c15n + BigInt(callIndex) * 0x2545f4914f6cdd1dn;
  for (const a of args) h = BigInt.asUintN(64, (h ^ a) * 0xff51afd7ed558ccdn + 7n);
  return BigInt.asUintN(64, h ^ (h >> 29n));
}

export interface BpfRunOptions {
  /** r1..r5 on entry (as many as given are initialised). */
  args?: bigint[];
  /** When given, r1 = CTX_BASE and loads from [CTX_BASE, CTX_BASE+len) read this buffer. */
  ctx?: Uint8Array;
  /** Subprograms by symbol, for `call` with src=1 (the call's relocation names the callee). */
  funcs?: ReadonlyMap<string, Insn[]>;
  /** Global-data sections; ld_imm64 with a "map" relocation naming a variable yields its address. */
  globals?: GlobalMemory;
  maxSteps?: number;
}

export interface BpfRunResult {
  r0: bigint;
  steps: number;
  helperCalls: number;
}

const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
const zx = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);

interface Code {
  name: string;
  insns: Insn[];
  slotToIdx: Map<number, number>;
  idxToSlot: number[];
}

function codeOf(name: string, insns: Insn[]): Code {
  // Map slot numbers to instruction indices (ld_imm64 takes two slots).
  const slotToIdx = new Map<number, number>();
  const idxToSlot: number[] = [];
  let slot = 0;
  insns.forEach((ins, i) => {
    slotToIdx.set(slot, i);
    idxToSlot.push(slot);
    slot += ins.opcode === 0x18 ? 2 : 1;
  });
  return { name, insns, slotToIdx, idxToSlot };
}

interface Frame {
  code: Code;
  /** Where to continue in the caller. */
  ret: number;
  saved: { regs: bigint[]; init: boolean[] };
}

export function runBpf(insns: Insn[], opts: BpfRunOptions = {}): BpfRunResult {
  const codes = new Map<string, Code>();
  const resolve = (name: string, pc: number): Code => {
    let c = codes.get(name);
    if (!c) {
      const fn = opts.funcs?.get(name);
      if (!fn) throw new Error(`pc ${pc}: call of unknown subprogram '${name}'`);
      codes.set(name, (c = codeOf(name, fn)));
    }
    return c;
  };
  let code = codeOf("<main>", insns);

  const regs: bigint[] = new Array(11).fill(0n);
  const init: boolean[] = new Array(11).fill(false);
  regs[10] = STACK_TOP;
  init[10] = true;
  const args = opts.args ?? [];
  args.forEach((a, k) => {
    regs[k + 1] = zx(a, 64);
    init[k + 1] = true;
  });
  if (opts.ctx) {
    regs[1] = CTX_BASE;
    init[1] = true;
  }
  const stack = new Uint8Array(Number(STACK_SIZE));
  const stackInit = new Uint8Array(Number(STACK_SIZE));
  const ctx = opts.ctx ?? new Uint8Array(0);
  const globals = opts.globals;
  const frames: Frame[] = [];

  const rd = (r: number, pc: number): bigint => {
    if (r < 0 || r > 10 || !init[r]) throw new Error(`pc ${pc}: read of uninitialised r${r}`);
    return regs[r];
  };
  const wr = (r: number, v: bigint, pc: number): void => {
    if (r === 10) throw new Error(`pc ${pc}: write to r10`);
    if (r < 0 || r > 9) throw new Error(`pc ${pc}: bad register r${r}`);
    regs[r] = zx(v, 64);
    init[r] = true;
  };
  const mem = (addr: bigint, size: number, pc: number): { buf: Uint8Array; at: number; stackMem: boolean; readonly: boolean } => {
    if (addr >= STACK_TOP - STACK_SIZE && addr + BigInt(size) <= STACK_TOP) {
      if (addr % BigInt(size) !== 0n) throw new Error(`pc ${pc}: misaligned stack access at ${addr - STACK_TOP}`);
      return { buf: stack, at: Number(addr - (STACK_TOP - STACK_SIZE)), stackMem: true, readonly: false };
    }
    if (addr >= CTX_BASE && addr + BigInt(size) <= CTX_BASE + BigInt(ctx.length)) {
      return { buf: ctx, at: Number(addr - CTX_BASE), stackMem: false, readonly: true };
    }
    const g = globals?.find(addr, size);
    if (g) return { buf: g.bytes, at: g.at, stackMem: false, readonly: g.readonly };
    throw new Error(`pc ${pc}: access outside memory at 0x${addr.toString(16)} size ${size}`);
  };
  const load = (addr: bigint, size: number, pc: number): bigint => {
    const { buf, at, stackMem } = mem(addr, size, pc);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) {
      if (stackMem && !stackInit[at + k]) throw new Error(`pc ${pc}: read of uninitialised stack at ${addr - STACK_TOP}`);
      v = (v << 8n) | BigInt(buf[at + k]);
    }
    return v;
  };
  const store = (addr: bigint, size: number, v: bigint, pc: number): void => {
    const { buf, at, stackMem, readonly } = mem(addr, size, pc);
    if (readonly) throw new Error(`pc ${pc}: store to read-only memory at 0x${addr.toString(16)}`);
    for (let k = 0; k < size; k++) {
      buf[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
      if (stackMem) stackInit[at + k] = 1;
    }
  };
  const sizeOf = (opcode: number): number => [4, 2, 1, 8][(opcode >> 3) & 3];

  let pc = 0;
  let steps = 0;
  let helperCalls = 0;
  const maxSteps = opts.maxSteps ?? 100_000;
  for (;;) {
    if (++steps > maxSteps) throw new Error("step limit exceeded");
    const ins = code.insns[pc];
    if (!ins) throw new Error(`pc ${pc}: fell off the end of ${code.name}`);
    const cls = ins.opcode & 7;
    const op = ins.opcode & 0xf0;
    const isX = (ins.opcode & 8) !== 0;
    let next = pc + 1;
    const jumpTo = (off: number): number => {
      const target = code.slotToIdx.get(code.idxToSlot[pc] + 1 + off);
      if (target === undefined) throw new Error(`pc ${pc}: jump into the middle of an instruction or out of range`);
      return target;
    };
    switch (cls) {
      case 0x04: // ALU
      case 0x07: {
        // ALU64
        const is64 = cls === 0x07;
        const bits = is64 ? 64 : 32;
        if (op === 0xb0) {
          // MOV / MOVSX
          let v: bigint;
          if (isX) {
            v = rd(ins.src, pc);
            if (ins.off !== 0) v = sx(v, ins.off);
          } else {
            v = BigInt(ins.imm);
          }
          wr(ins.dst, zx(v, bits), pc);
          break;
        }
        if (op === 0xd0) {
          const v = rd(ins.dst, pc);
          const w = ins.imm;
          if (!is64 && !isX) wr(ins.dst, zx(v, w), pc);
          else {
            let out = 0n;
            for (let k = 0; k < w / 8; k++) out = (out << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
            wr(ins.dst, out, pc);
          }
          break;
        }
        const a = zx(rd(ins.dst, pc), bits);
        if (op === 0x80) {
          wr(ins.dst, zx(-a, bits), pc);
          break;
        }
        const b = zx(isX ? rd(ins.src, pc) : BigInt(ins.imm), bits);
        const signed = ins.off === 1;
        let r: bigint;
        switch (op) {
          case 0x00:
            r = a + b;
            break;
          case 0x10:
            r = a - b;
            break;
          case 0x20:
            r = a * b;
            break;
          case 0x30:
            if (b === 0n) r = 0n;
            else if (signed) r = sx(a, bits) / sx(b, bits);
            else r = a / b;
            break;
          case 0x90:
            if (b === 0n) r = a;
            else if (signed) r = sx(a, bits) % sx(b, bits);
            else r = a % b;
            break;
          case 0x40:
            r = a | b;
            break;
          case 0x50:
            r = a & b;
            break;
          case 0xa0:
            r = a ^ b;
            break;
          case 0x60:
            r = a << (b & BigInt(bits - 1));
            break;
          case 0x70:
            r = a >> (b & BigInt(bits - 1));
            break;
          case 0xc0:
            r = sx(a, bits) >> (b & BigInt(bits - 1));
            break;
          default:
            throw new Error(`pc ${pc}: bad ALU op 0x${ins.opcode.toString(16)}`);
        }
        wr(ins.dst, zx(r, bits), pc);
        break;
      }
      case 0x05: // JMP
      case 0x06: {
        // JMP32
        if (op === 0x00) {
          if (cls !== 0x05) throw new Error(`pc ${pc}: gotol not supported`);
          next = jumpTo(ins.off);
          break;
        }
        if (op === 0x90) {
          const r0 = rd(0, pc);
          const fr = frames.pop();
          if (!fr) return { r0, steps, helperCalls };
          // Back in the caller: its r6..r9 and r10 are restored, r1..r5 are clobbered.
          for (let k = 6; k <= 10; k++) {
            regs[k] = fr.saved.regs[k]!;
            init[k] = fr.saved.init[k]!;
          }
          for (let k = 1; k <= 5; k++) init[k] = false;
          code = fr.code;
          next = fr.ret;
          break;
        }
        if (op === 0x80) {
          if (ins.src === 1) {
            if (ins.reloc?.kind !== "call") throw new Error(`pc ${pc}: bpf-to-bpf call without a call relocation`);
            if (frames.length + 1 >= MAX_FRAMES) throw new Error(`pc ${pc}: call depth above ${MAX_FRAMES} frames`);
            const callee = resolve(ins.reloc.symbol, pc);
            frames.push({ code, ret: pc + 1, saved: { regs: [...regs], init: [...init] } });
            // The callee gets r1..r5 and a fresh frame; r0 and r6..r9 start unreadable.
            regs[10] -= FRAME_SIZE;
            const lo = Number(regs[10] - (STACK_TOP - STACK_SIZE) - FRAME_SIZE);
            stackInit.fill(0, lo, lo + Number(FRAME_SIZE));
            init[0] = false;
            for (let k = 6; k <= 9; k++) init[k] = false;
            code = callee;
            next = 0;
            break;
          }
          if (ins.src !== 0) throw new Error(`pc ${pc}: only helper and bpf-to-bpf calls are supported`);
          const n = helperArgCount(ins.imm);
          const a: bigint[] = [];
          for (let k = 1; k <= n; k++) a.push(rd(k, pc));
          regs[0] = stubHelper(ins.imm, a, helperCalls++);
          init[0] = true;
          for (let k = 1; k <= 5; k++) {
            regs[k] = 0xdead_beef_0000_0000n | BigInt(k);
            init[k] = false;
          }
          break;
        }
        const bits = cls === 0x05 ? 64 : 32;
        const a = zx(rd(ins.dst, pc), bits);
        const b = zx(isX ? rd(ins.src, pc) : BigInt(ins.imm), bits);
        const sa = sx(a, bits);
        const sb = sx(b, bits);
        let taken: boolean;
        switch (op) {
          case 0x10:
            taken = a === b;
            break;
          case 0x50:
            taken = a !== b;
            break;
          case 0x20:
            taken = a > b;
            break;
          case 0x30:
            taken = a >= b;
            break;
          case 0xa0:
            taken = a < b;
            break;
          case 0xb0:
            taken = a <= b;
            break;
          case 0x60:
            taken = sa > sb;
            break;
          case 0x70:
            taken = sa >= sb;
            break;
          case 0xc0:
            taken = sa < sb;
            break;
          case 0xd0:
            taken = sa <= sb;
            break;
          case 0x40:
            taken = (a & b) !== 0n;
            break;
          default:
            throw new Error(`pc ${pc}: bad JMP op 0x${ins.opcode.toString(16)}`);
        }
        if (taken) next = jumpTo(ins.off);
        break;
      }
      case 0x01: {
        // LDX
        if ((ins.opcode & 0xe0) !== 0x60) throw new Error(`pc ${pc}: unsupported LDX mode`);
        const size = sizeOf(ins.opcode);
        wr(ins.dst, load(rd(ins.src, pc) + BigInt(ins.off), size, pc), pc);
        break;
      }
      case 0x02: {
        // ST
        const size = sizeOf(ins.opcode);
        store(rd(ins.dst, pc) + BigInt(ins.off), size, zx(BigInt(ins.imm), 64), pc);
        break;
      }
      case 0x03: {
        // STX
        const size = sizeOf(ins.opcode);
        const addr = rd(ins.dst, pc) + BigInt(ins.off);
        const v = rd(ins.src, pc);
        if ((ins.opcode & 0xe0) === 0xc0) {
          if (size !== 4 && size !== 8) throw new Error(`pc ${pc}: atomic of size ${size}`);
          const bits = size * 8;
          const old = load(addr, size, pc);
          const fetch = (ins.imm & 1) !== 0;
          const kinds: Record<number, "add" | "or" | "and" | "xor" | "xchg"> = {
            0x00: "add",
            0x40: "or",
            0x50: "and",
            0xa0: "xor",
            0xe0: "xchg",
          };
          if (ins.imm === 0xf1) {
            // cmpxchg: compare with r0, store src on a match, r0 = old (zero-extended).
            const r0 = rd(0, pc);
            if (zx(r0, bits) === old) store(addr, size, v, pc);
            wr(0, old, pc);
            break;
          }
          const kind = kinds[ins.imm & ~1];
          if (!kind || (kind === "xchg" && !fetch)) throw new Error(`pc ${pc}: bad atomic imm 0x${ins.imm.toString(16)}`);
          store(addr, size, atomicResult(kind, old, v, bits), pc);
          if (fetch) wr(ins.src, old, pc);
        } else {
          store(addr, size, v, pc);
        }
        break;
      }
      case 0x00: {
        if (ins.opcode !== 0x18) throw new Error(`pc ${pc}: unsupported LD 0x${ins.opcode.toString(16)}`);
        let v: bigint;
        if (ins.reloc?.kind === "map") v = globals?.symbols.get(ins.reloc.symbol) ?? mapToken(ins.reloc.symbol);
        else if (ins.reloc?.kind === "func") {
          if (ins.src !== 4) throw new Error(`pc ${pc}: function address load without src=4`);
          v = funcToken(ins.reloc.symbol);
        } else v = ins.imm64 ?? BigInt(ins.imm);
        wr(ins.dst, v & M64, pc);
        break;
      }
      default:
        throw new Error(`pc ${pc}: unsupported opcode 0x${ins.opcode.toString(16)}`);
    }
    pc = next;
  }
}
