// A small eBPF interpreter for tests: ALU/ALU64 (incl. cpu v4 sdiv/smod/movsx), JMP/JMP32, LDX/STX/ST
// MEM, STX ATOMIC add, ld_imm64, helper calls (stubbed) and exit, over a 512-byte stack and an
// optional read-only ctx buffer. It is strict where the verifier is: reading a register that was
// never written (or r1..r5 after a call) throws, writing r10 throws, stack reads of unwritten bytes
// and misaligned stack accesses throw.

import type { Insn } from "../../compiler/isa/insn.js";

export const CTX_BASE = 0x1000_0000n;
export const STACK_TOP = 0x7fff_0000n;
const STACK_SIZE = 512n;
const M64 = (1n << 64n) - 1n;

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
  maxSteps?: number;
}

export interface BpfRunResult {
  r0: bigint;
  steps: number;
  helperCalls: number;
}

const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
const zx = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);

export function runBpf(insns: Insn[], opts: BpfRunOptions = {}): BpfRunResult {
  // Map slot numbers to instruction indices (ld_imm64 takes two slots).
  const slotToIdx = new Map<number, number>();
  let slot = 0;
  insns.forEach((ins, i) => {
    slotToIdx.set(slot, i);
    slot += ins.opcode === 0x18 ? 2 : 1;
  });
  const idxToSlot: number[] = [];
  slot = 0;
  for (const ins of insns) {
    idxToSlot.push(slot);
    slot += ins.opcode === 0x18 ? 2 : 1;
  }

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
  const mem = (addr: bigint, size: number, pc: number): { buf: Uint8Array; at: number; stackMem: boolean } => {
    if (addr >= STACK_TOP - STACK_SIZE && addr + BigInt(size) <= STACK_TOP) {
      if (addr % BigInt(size) !== 0n) throw new Error(`pc ${pc}: misaligned stack access at ${addr - STACK_TOP}`);
      return { buf: stack, at: Number(addr - (STACK_TOP - STACK_SIZE)), stackMem: true };
    }
    if (addr >= CTX_BASE && addr + BigInt(size) <= CTX_BASE + BigInt(ctx.length)) {
      return { buf: ctx, at: Number(addr - CTX_BASE), stackMem: false };
    }
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
    const { buf, at, stackMem } = mem(addr, size, pc);
    if (!stackMem) throw new Error(`pc ${pc}: store outside the stack`);
    for (let k = 0; k < size; k++) {
      buf[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
      stackInit[at + k] = 1;
    }
  };
  const sizeOf = (opcode: number): number => [4, 2, 1, 8][(opcode >> 3) & 3];

  let pc = 0;
  let steps = 0;
  let helperCalls = 0;
  const maxSteps = opts.maxSteps ?? 100_000;
  for (;;) {
    if (++steps > maxSteps) throw new Error("step limit exceeded");
    const ins = insns[pc];
    if (!ins) throw new Error(`pc ${pc}: fell off the end`);
    const cls = ins.opcode & 7;
    const op = ins.opcode & 0xf0;
    const isX = (ins.opcode & 8) !== 0;
    let next = pc + 1;
    const jumpTo = (off: number): number => {
      const target = slotToIdx.get(idxToSlot[pc] + 1 + off);
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
          case 0x00: r = a + b; break;
          case 0x10: r = a - b; break;
          case 0x20: r = a * b; break;
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
          case 0x40: r = a | b; break;
          case 0x50: r = a & b; break;
          case 0xa0: r = a ^ b; break;
          case 0x60: r = a << (b & BigInt(bits - 1)); break;
          case 0x70: r = a >> (b & BigInt(bits - 1)); break;
          case 0xc0: r = sx(a, bits) >> (b & BigInt(bits - 1)); break;
          default: throw new Error(`pc ${pc}: bad ALU op 0x${ins.opcode.toString(16)}`);
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
          return { r0: rd(0, pc), steps, helperCalls };
        }
        if (op === 0x80) {
          if (ins.src !== 0) throw new Error(`pc ${pc}: only helper calls are supported`);
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
          case 0x10: taken = a === b; break;
          case 0x50: taken = a !== b; break;
          case 0x20: taken = a > b; break;
          case 0x30: taken = a >= b; break;
          case 0xa0: taken = a < b; break;
          case 0xb0: taken = a <= b; break;
          case 0x60: taken = sa > sb; break;
          case 0x70: taken = sa >= sb; break;
          case 0xc0: taken = sa < sb; break;
          case 0xd0: taken = sa <= sb; break;
          case 0x40: taken = (a & b) !== 0n; break;
          default: throw new Error(`pc ${pc}: bad JMP op 0x${ins.opcode.toString(16)}`);
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
          if (ins.imm !== 0) throw new Error(`pc ${pc}: only atomic add is supported`);
          store(addr, size, load(addr, size, pc) + v, pc);
        } else {
          store(addr, size, v, pc);
        }
        break;
      }
      case 0x00: {
        if (ins.opcode !== 0x18) throw new Error(`pc ${pc}: unsupported LD 0x${ins.opcode.toString(16)}`);
        const v = ins.reloc?.kind === "map" ? mapToken(ins.reloc.symbol) : (ins.imm64 ?? BigInt(ins.imm));
        wr(ins.dst, v & M64, pc);
        break;
      }
      default:
        throw new Error(`pc ${pc}: unsupported opcode 0x${ins.opcode.toString(16)}`);
    }
    pc = next;
  }
}
