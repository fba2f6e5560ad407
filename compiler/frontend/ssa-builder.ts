// Builds SSA IR directly while lowering, with on-the-fly phi placement (Braun et al., "Simple and
// Efficient Construction of SSA Form", CC 2013): each block records the current value of every
// source variable; reading a variable in a block without a definition looks through predecessors,
// inserting phis, and blocks are sealed once all their predecessors are known. Trivial phis are
// left for the const-fold pass to remove.

import {
  newValue,
  removeUnreachableBlocks,
  type Block,
  type Func,
  type Inst,
  type Operand,
  type SourceLoc,
  type Terminator,
  type Ty,
  type Value,
} from "../ir/ir.js";

export type VarKey = object;

interface BlockState {
  block: Block;
  preds: number[];
  sealed: boolean;
  defs: Map<VarKey, Operand>;
  incomplete: Map<VarKey, { phiDst: Value; ty: Ty }>;
  /** Set once a terminator is placed. */
  terminated: boolean;
}

export class SsaBuilder {
  readonly func: Func;
  private readonly states = new Map<number, BlockState>();
  private nextBlock = 0;
  current: number;
  loc: SourceLoc | undefined;

  constructor(name: string, paramTys: Ty[]) {
    this.func = { name, params: [], blocks: [], slots: [], nextId: 0, locs: new WeakMap() };
    this.func.params = paramTys.map((t) => newValue(this.func, t));
    this.current = this.newBlock();
    this.seal(this.current);
  }

  newBlock(): number {
    const id = this.nextBlock++;
    const block: Block = { id, phis: [], insts: [], term: { op: "ret", value: { imm: 0n } } };
    this.func.blocks.push(block);
    this.states.set(id, { block, preds: [], sealed: false, defs: new Map(), incomplete: new Map(), terminated: false });
    return id;
  }

  value(ty: Ty): Value {
    return newValue(this.func, ty);
  }

  /** Sees every instruction kept (gpl-helpers.ts checks helper calls). */
  onEmit?: (inst: Inst) => void;

  emit(inst: Inst): void {
    const st = this.state(this.current);
    if (st.terminated) return; // code after return/break: unreachable, dropped
    st.block.insts.push(inst);
    this.onEmit?.(inst);
    if (this.loc) this.func.locs!.set(inst, this.loc);
    if (!st.block.loc && this.loc) st.block.loc = this.loc;
  }

  /** True when the current block already ended (after return, break, continue). */
  get terminated(): boolean {
    return this.state(this.current).terminated;
  }

  terminate(term: Terminator): void {
    const st = this.state(this.current);
    if (st.terminated) return;
    st.block.term = term;
    st.terminated = true;
    if (this.loc) this.func.locs!.set(term, this.loc);
    const succs = term.op === "br" ? [term.target] : term.op === "cbr" ? [term.then, term.else] : [];
    for (const s of new Set(succs)) this.state(s).preds.push(this.current);
  }

  jump(target: number): void {
    this.terminate({ op: "br", target });
  }

  switchTo(block: number): void {
    this.current = block;
  }

  /** A phi at the start of `block` merging values that arrive from the given predecessors. */
  phi(block: number, ty: Ty, incoming: { block: number; value: Operand }[]): Value {
    const dst = this.value(ty);
    this.state(block).block.phis.push({ dst, incoming });
    return dst;
  }

  /**
   * An if-then-else producing a value: `test(t, f)` branches, each arm runs in its own block and
   * returns its value, and the two meet in a phi (the code continues in the join block).
   */
  diamond(ty: Ty, test: (t: number, f: number) => void, onTrue: () => Operand, onFalse: () => Operand): Value {
    const t = this.newBlock();
    const f = this.newBlock();
    const join = this.newBlock();
    test(t, f);
    this.seal(t);
    this.seal(f);
    this.switchTo(t);
    const a = onTrue();
    const tEnd = this.current;
    this.jump(join);
    this.switchTo(f);
    const b = onFalse();
    const fEnd = this.current;
    this.jump(join);
    this.seal(join);
    this.switchTo(join);
    return this.phi(join, ty, [
      { block: tEnd, value: a },
      { block: fEnd, value: b },
    ]);
  }

  slot(size: number, align: number): number {
    const id = this.func.slots.length;
    this.func.slots.push({ id, size, align });
    return id;
  }

  writeVar(key: VarKey, v: Operand, block = this.current): void {
    this.state(block).defs.set(key, v);
  }

  readVar(key: VarKey, ty: Ty, block = this.current): Operand {
    const st = this.state(block);
    const d = st.defs.get(key);
    if (d) return d;
    let v: Operand;
    if (!st.sealed) {
      const phiDst = this.value(ty);
      st.incomplete.set(key, { phiDst, ty });
      st.block.phis.push({ dst: phiDst, incoming: [] });
      v = phiDst;
    } else if (st.preds.length === 1) {
      v = this.readVar(key, ty, st.preds[0]);
    } else if (st.preds.length === 0) {
      v = { imm: 0n }; // unreachable block or read before write (the front end prevents the latter)
    } else {
      const phiDst = this.value(ty);
      st.block.phis.push({ dst: phiDst, incoming: [] });
      st.defs.set(key, phiDst);
      this.fillPhi(block, phiDst, key, ty);
      v = phiDst;
    }
    st.defs.set(key, v);
    return v;
  }

  seal(block: number): void {
    const st = this.state(block);
    if (st.sealed) return;
    st.sealed = true;
    for (const [key, { phiDst, ty }] of st.incomplete) this.fillPhi(block, phiDst, key, ty);
    st.incomplete.clear();
  }

  private fillPhi(block: number, phiDst: Value, key: VarKey, ty: Ty): void {
    const st = this.state(block);
    const phi = st.block.phis.find((p) => p.dst === phiDst)!;
    phi.incoming = st.preds.map((p) => ({ block: p, value: this.readVar(key, ty, p) }));
  }

  /**
   * Finish: drops blocks nothing jumps to (code after a return, the dead side of a branch on a
   * constant), so the IR handed to the passes is fully reachable.
   */
  finish(): Func {
    removeUnreachableBlocks(this.func);
    return this.func;
  }

  private state(id: number): BlockState {
    const s = this.states.get(id);
    if (!s) throw new Error(`internal: no block ${id}`);
    return s;
  }

  /** Blocks that were created but never terminated and are reachable (have preds or are entry). */
  openBlocks(): number[] {
    return [...this.states.values()].filter((s) => !s.terminated && (s.preds.length > 0 || s.block.id === 0)).map((s) => s.block.id);
  }

  preds(block: number): number[] {
    return this.state(block).preds;
  }
}
