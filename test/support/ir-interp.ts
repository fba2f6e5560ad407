// A reference interpreter for tsbpf IR, for differential tests against the back end's output.
// Arithmetic follows eBPF semantics (x/0 = 0, x%0 = x, shift amounts masked, signed division
// truncating, INT_MIN/-1 wrapping). i32 values are kept zero-extended. Memory: one region per stack
// slot per call frame (reads of unwritten bytes throw), an optional read-only ctx buffer at
// CTX_BASE and optional global-data sections (GlobalMemory, shared with bpf-interp.ts; .rodata is
// read-only). `callfn` runs the callee from `funcs` in a new frame (at most 8 frames).

import { type Func, type Inst, type Operand, type Terminator, type Ty, blockById, isImm } from "../../compiler/ir/ir.js";
import { CTX_BASE, type GlobalMemory, atomicResult, funcToken, helperArgCount, mapToken, stubHelper } from "./bpf-interp.js";

const SLOT_BASE = 0x2000_0000n;
const SLOT_STRIDE = 0x1_0000n;
const FRAME_STRIDE = 0x100_0000n;

export interface IrRunOptions {
  args?: bigint[];
  ctx?: Uint8Array;
  /** Callees of `callfn`, by name (usually every function of the module). */
  funcs?: ReadonlyMap<string, Func>;
  /** Global-data sections; `globaladdr` yields the variable's address in them. */
  globals?: GlobalMemory;
  maxSteps?: number;
}

const zx = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
const bitsOf = (ty: Ty): number => (ty === "i32" ? 32 : 64);
/** Call depth limit, as the kernel's 8 frames. */
const MAX_FRAMES = 8;

type SlotMem = Map<number, { bytes: Uint8Array; init: Uint8Array }>;

export function runIr(f: Func, opts: IrRunOptions = {}): bigint {
  const ctx = opts.ctx ?? new Uint8Array(0);
  const globals = opts.globals;
  /** Stack slots of every live frame; frame k's slot s lives at SLOT_BASE + k*FRAME_STRIDE + s*SLOT_STRIDE. */
  const frames: SlotMem[] = [];
  let helperCalls = 0;
  let steps = 0;
  const maxSteps = opts.maxSteps ?? 100_000;

  const region = (addr: bigint, size: number): { bytes: Uint8Array; at: number; init?: Uint8Array; readonly?: boolean } => {
    for (const [depth, slotMem] of frames.entries()) {
      for (const [id, m] of slotMem) {
        const base = SLOT_BASE + BigInt(depth) * FRAME_STRIDE + BigInt(id) * SLOT_STRIDE;
        if (addr >= base && addr + BigInt(size) <= base + BigInt(m.bytes.length)) {
          return { bytes: m.bytes, at: Number(addr - base), init: m.init };
        }
      }
    }
    if (addr >= CTX_BASE && addr + BigInt(size) <= CTX_BASE + BigInt(ctx.length))
      return { bytes: ctx, at: Number(addr - CTX_BASE), readonly: true };
    const g = globals?.find(addr, size);
    if (g) return { bytes: g.bytes, at: g.at, readonly: g.readonly };
    throw new Error(`access outside memory at 0x${addr.toString(16)}`);
  };
  const load = (addr: bigint, size: number): bigint => {
    const r = region(addr, size);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) {
      if (r.init && !r.init[r.at + k]) throw new Error("read of uninitialised slot memory");
      v = (v << 8n) | BigInt(r.bytes[r.at + k]);
    }
    return v;
  };
  const store = (addr: bigint, size: number, v: bigint): void => {
    const r = region(addr, size);
    if (r.readonly) throw new Error(`store to read-only memory at 0x${addr.toString(16)}`);
    for (let k = 0; k < size; k++) {
      r.bytes[r.at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
      if (r.init) r.init[r.at + k] = 1;
    }
  };

  /** Runs `fn` in a new frame with r1..r5 = args (64-bit values); returns its r0. */
  const call = (fn: Func, args: bigint[], isEntry: boolean): bigint => {
    if (frames.length >= MAX_FRAMES) throw new Error(`call depth above ${MAX_FRAMES} frames`);
    const depth = frames.length;
    const slotMem: SlotMem = new Map();
    for (const s of fn.slots) slotMem.set(s.id, { bytes: new Uint8Array(s.size), init: new Uint8Array(s.size) });
    frames.push(slotMem);
    const vals = new Map<number, bigint>();
    fn.params.forEach((p, k) => {
      if (isEntry && k === 0 && opts.ctx) vals.set(p.id, CTX_BASE);
      else vals.set(p.id, zx(args[k] ?? 0n, bitsOf(p.ty)));
    });

    const get = (o: Operand, ty: Ty): bigint => {
      if (isImm(o)) return zx(o.imm, bitsOf(ty));
      const v = vals.get(o.id);
      if (v === undefined) throw new Error(`v${o.id} read before definition`);
      return v;
    };

    const exec = (i: Inst): void => {
      switch (i.op) {
        case "const":
          vals.set(i.dst.id, zx(i.value, bitsOf(i.dst.ty)));
          return;
        case "copy":
          vals.set(i.dst.id, get(i.a, i.dst.ty));
          return;
        case "bin":
          vals.set(i.dst.id, binop(i.kind, get(i.a, i.dst.ty), get(i.b, i.dst.ty), bitsOf(i.dst.ty)));
          return;
        case "neg":
          vals.set(i.dst.id, zx(-get(i.a, i.dst.ty), bitsOf(i.dst.ty)));
          return;
        case "zext":
          vals.set(i.dst.id, zx(get(i.a, "i32"), 32));
          return;
        case "sext":
          vals.set(i.dst.id, zx(sx(get(i.a, "i64"), i.from), bitsOf(i.dst.ty)));
          return;
        case "trunc":
          vals.set(i.dst.id, zx(get(i.a, "i64"), i.to));
          return;
        case "bswap": {
          const v = get(i.a, i.dst.ty);
          let out = 0n;
          for (let k = 0; k < i.bits / 8; k++) out = (out << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
          vals.set(i.dst.id, out);
          return;
        }
        case "ptradd":
          vals.set(i.dst.id, zx(get(i.base, "ptr") + get(i.offset, "i64"), 64));
          return;
        case "load":
          vals.set(i.dst.id, load(zx(get(i.base, "ptr") + BigInt(i.offset), 64), i.width));
          return;
        case "ctxptr":
          vals.set(i.dst.id, load(zx(get(i.ctx, "ptr") + BigInt(i.offset), 64), 4));
          return;
        case "store": {
          const v = isImm(i.value) ? zx(i.value.imm, 64) : get(i.value, "i64");
          store(zx(get(i.base, "ptr") + BigInt(i.offset), 64), i.width, v);
          return;
        }
        case "stackaddr":
          vals.set(i.dst.id, SLOT_BASE + BigInt(depth) * FRAME_STRIDE + BigInt(i.slot) * SLOT_STRIDE);
          return;
        case "mapaddr":
          vals.set(i.dst.id, mapToken(i.map));
          return;
        case "globaladdr": {
          const a = globals?.symbols.get(i.symbol);
          if (a === undefined) throw new Error(`no global variable '${i.symbol}'`);
          vals.set(i.dst.id, a);
          return;
        }
        case "funcaddr":
          vals.set(i.dst.id, funcToken(i.func));
          return;
        case "call": {
          const n = helperArgCount(i.helper);
          const args = i.args.slice(0, n).map((a) => (isImm(a) ? zx(a.imm, 64) : get(a, "i64")));
          const r = stubHelper(i.helper, args, helperCalls++);
          if (i.dst) vals.set(i.dst.id, zx(r, bitsOf(i.dst.ty)));
          return;
        }
        case "callfn": {
          const callee = opts.funcs?.get(i.func);
          if (!callee) throw new Error(`call of unknown function '${i.func}'`);
          // Immediates travel as 64-bit values (as the back end loads them into r1..r5).
          const args = i.args.map((a) => (isImm(a) ? zx(a.imm, 64) : get(a, "i64")));
          const r = call(callee, args, false);
          if (i.dst) vals.set(i.dst.id, zx(r, bitsOf(i.dst.ty)));
          return;
        }
        case "atomic_add": {
          const addr = zx(get(i.base, "ptr") + BigInt(i.offset), 64);
          store(addr, i.width, load(addr, i.width) + get(i.value, "i64"));
          return;
        }
        case "atomic": {
          const bits = i.width * 8;
          const ty: Ty = i.width === 4 ? "i32" : "i64";
          const addr = zx(get(i.base, "ptr") + BigInt(i.offset), 64);
          const old = load(addr, i.width);
          const v = get(i.value, ty);
          if (i.kind === "cmpxchg") {
            if (old === zx(get(i.expected!, ty), bits)) store(addr, i.width, v);
          } else {
            store(addr, i.width, atomicResult(i.kind, old, v, bits));
          }
          if (i.dst) vals.set(i.dst.id, old);
          return;
        }
      }
    };

    let block = fn.blocks[0];
    let prev: number | undefined;
    for (;;) {
      if (block.phis.length > 0) {
        const incoming = block.phis.map((p) => {
          const inc = p.incoming.find((x) => x.block === prev);
          if (!inc) throw new Error(`phi v${p.dst.id} has no value for b${prev}`);
          return get(inc.value, p.dst.ty);
        });
        block.phis.forEach((p, k) => vals.set(p.dst.id, incoming[k]));
      }
      for (const i of block.insts) {
        if (++steps > maxSteps) throw new Error("step limit exceeded");
        exec(i);
      }
      const t: Terminator = block.term;
      if (++steps > maxSteps) throw new Error("step limit exceeded");
      if (t.op === "ret") {
        frames.pop();
        return isImm(t.value) ? zx(t.value.imm, 64) : get(t.value, "i64");
      }
      let target: number;
      if (t.op === "br") target = t.target;
      else target = compare(t.cond, get(t.a, "i64"), get(t.b, "i64"), t.width) ? t.then : t.else;
      prev = block.id;
      block = blockById(fn, target);
    }
  };

  return call(f, opts.args ?? [], true);
}

function binop(kind: string, a: bigint, b: bigint, bits: number): bigint {
  let r: bigint;
  switch (kind) {
    case "add":
      r = a + b;
      break;
    case "sub":
      r = a - b;
      break;
    case "mul":
      r = a * b;
      break;
    case "udiv":
      r = b === 0n ? 0n : a / b;
      break;
    case "umod":
      r = b === 0n ? a : a % b;
      break;
    case "sdiv":
      r = b === 0n ? 0n : sx(a, bits) / sx(b, bits);
      break;
    case "smod":
      r = b === 0n ? a : sx(a, bits) % sx(b, bits);
      break;
    case "and":
      r = a & b;
      break;
    case "or":
      r = a | b;
      break;
    case "xor":
      r = a ^ b;
      break;
    case "shl":
      r = a << (b & BigInt(bits - 1));
      break;
    case "lshr":
      r = a >> (b & BigInt(bits - 1));
      break;
    case "ashr":
      r = sx(a, bits) >> (b & BigInt(bits - 1));
      break;
    default:
      throw new Error(`unknown op ${kind}`);
  }
  return zx(r, bits);
}

function compare(cond: string, a0: bigint, b0: bigint, width: 32 | 64): boolean {
  const a = zx(a0, width);
  const b = zx(b0, width);
  const sa = sx(a, width);
  const sb = sx(b, width);
  switch (cond) {
    case "eq":
      return a === b;
    case "ne":
      return a !== b;
    case "ugt":
      return a > b;
    case "uge":
      return a >= b;
    case "ult":
      return a < b;
    case "ule":
      return a <= b;
    case "sgt":
      return sa > sb;
    case "sge":
      return sa >= sb;
    case "slt":
      return sa < sb;
    case "sle":
      return sa <= sb;
    case "set":
      return (a & b) !== 0n;
    default:
      throw new Error(`unknown cond ${cond}`);
  }
}
