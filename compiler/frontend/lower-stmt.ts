// Lowers a program's body: locals, if/else, bounded for loops with break/continue, returns.
// Produces one IR function per program; the ctx pointer is its only parameter.

import { bindKernelArgs } from "./lower-kernel.js";
import { INT_TYPES, sizeOf, type CInt, type CType } from "../../common/ctypes.js";
import type { Operand, Ty } from "../ir/ir.js";
import type { Func } from "../ir/ir.js";
import { constEval } from "./const-eval.js";
import { commonType, convert, fits, irTy, literalType, narrowImm, promote, wrapConst } from "./int-ops.js";
import { ExprLowerer, type LoweringTarget } from "./lower-expr.js";
import { lowerCall } from "./lower-call.js";
import type { ModuleInfo, ProgramInfo, SubprogramInfo } from "./module-scan.js";
import { NO_CONTEXT } from "./program-kinds.js";
import { emitCall, paramCType, paramShapes, paramTy, resultType, wantsCall, type ParamShape } from "./subprograms.js";
import { timerCallbackRet, timerCallbackShapes } from "./timers.js";
import type { Reporter } from "./reporter.js";
import { ts } from "./ts-adapter.js";
import type { TypeMapper } from "./types.js";
import type { LocalInfo, RefVal, Val } from "./values.js";
import { checkPacketUses, notePacketLocal } from "./packet-refs.js";
import { checkSpinLocks } from "./spin-locks.js";
import { checkGplHelper } from "./gpl-helpers.js";

const K = ts.SyntaxKind;

interface LoopTargets {
  brk: number;
  /** Block `continue` goes to; -1 where continue is not allowed (a labelled block). */
  cont: number;
  label?: string;
  /** A switch or labelled block: plain `break` leaves it, plain `continue` skips it. */
  isSwitch?: boolean;
}

export class FunctionLowerer extends ExprLowerer {
  private loops: LoopTargets[] = [];
  /** Functions being inlined, innermost last: where their `return`s go. */
  private readonly inlineFrames: {
    decl: ts.FunctionDeclaration;
    ret?: CInt;
    /** A struct result: the caller's stack slot each `return` writes. */
    out?: RefVal;
    join: number;
    incoming: { block: number; value: Operand }[];
  }[] = [];

  /** What `return` converts to; undefined in a void subprogram. */
  private retType: CInt | undefined;
  /** Lowering a loop() body: its result is a stop flag, returned as exactly 0 or 1. */
  private loopBody = false;

  constructor(r: Reporter, checker: ts.TypeChecker, types: TypeMapper, mod: ModuleInfo, target: LoweringTarget, paramTys?: Ty[]) {
    super(r, checker, types, mod, target, paramTys);
    this.retType = target.kind.ret;
    const seen = new Set<string>();
    this.b.onEmit = (i) => {
      if (i.op === "call") checkGplHelper(this, i.helper, this.callSite ?? this.locNode, seen);
    };
  }

  static forProgram(r: Reporter, checker: ts.TypeChecker, types: TypeMapper, mod: ModuleInfo, p: ProgramInfo): Func {
    return new FunctionLowerer(r, checker, types, mod, p).lowerProgram(p.fn);
  }

  /** A `@noinline` function as a subprogram: parameters arrive in r1..r5. */
  static forSubprogram(r: Reporter, checker: ts.TypeChecker, types: TypeMapper, mod: ModuleInfo, s: SubprogramInfo): Func {
    const probe = new FunctionLowerer(r, checker, types, mod, { name: s.name, kind: s.kind ?? NO_CONTEXT });
    const shapes = s.timerCallback ? timerCallbackShapes(probe, s.decl) : paramShapes(probe, s.decl);
    // A timer callback returns 0 or nothing (timerCallbackShapes checked); void ones return 0 too.
    const ret = s.timerCallback ? timerCallbackRet(probe, s.decl) : resultType(probe, s.decl);
    const fl = new FunctionLowerer(r, checker, types, mod, { name: s.name, kind: s.kind ?? NO_CONTEXT }, shapes.map(paramTy));
    fl.retType = ret;
    fl.loopBody = s.loopBody === true;
    s.ret = ret;
    s.params = s.decl.parameters.map((p, i) => ({ name: p.name.getText(), type: paramCType(shapes[i]) }));
    const f = fl.lowerSubprogram(s.decl, shapes);
    // Only a context's loads are context reads for the passes (a struct parameter is memory the
    // function may write).
    const k = shapes.findIndex((sh) => sh.kind === "ctx");
    if (k !== 0) f.ctxIndex = k;
    return f;
  }

  private lowerSubprogram(decl: ts.FunctionDeclaration, shapes: ParamShape[]): Func {
    decl.parameters.forEach((p, i) => {
      if (!ts.isIdentifier(p.name)) this.r.fail("TSBPF1029", p.name);
      const sym = this.symbolOf(p.name)!;
      const v = this.b.func.params[i];
      const shape = shapes[i];
      if (shape.kind === "int") {
        this.locals.set(sym, { kind: "int", t: shape.t, mutable: true });
        this.b.writeVar(sym, v);
      } else if (shape.kind === "ctx") {
        this.ctx = v;
        this.locals.set(sym, { kind: "ctx" });
      } else if (shape.kind === "deref") {
        this.locals.set(sym, { kind: "int", t: shape.t, mutable: true });
        this.b.writeVar(sym, this.load({ k: "ref", base: v, off: 0, t: shape.t, region: "param" }, shape.t).v);
      } else if (shape.kind === "ref") {
        this.locals.set(sym, { kind: "ptr", t: shape.t, nullable: false, region: shape.region ?? "param", mutable: false });
        this.b.writeVar(sym, v);
      }
    });
    this.setLoc(decl.body!);
    this.block(decl.body!);
    if (!this.b.terminated) {
      // After a switch whose every case returns, the current block has no predecessors.
      if (this.retType && this.b.openBlocks().includes(this.b.current))
        this.r.fail("TSBPF2200", decl.name ?? decl, decl.name?.text ?? "function");
      this.b.terminate({ op: "ret", value: { imm: 0n } });
    }
    checkPacketUses(this);
    checkSpinLocks(this);
    return this.b.finish();
  }

  private lowerProgram(fn: ts.ArrowFunction): Func {
    this.ctx = this.b.func.params[0];
    const param = fn.parameters[0];
    if (bindKernelArgs(this, fn)) {
      // fentry/tpBtf/... callbacks typed from the kernel's prototype (lower-kernel.ts)
    } else if (fn.parameters.length > 1) this.r.fail("TSBPF2019", fn, this.kind.wrapper);
    else if (param) {
      if (!ts.isIdentifier(param.name)) this.r.fail("TSBPF1029", param.name);
      const sym = this.symbolOf(param.name);
      if (sym) this.locals.set(sym, { kind: "ctx" });
    }
    this.setLoc(fn.body);
    if (ts.isBlock(fn.body)) {
      this.block(fn.body);
    } else {
      this.ret(fn.body);
    }
    if (this.b.openBlocks().includes(this.b.current) && !this.b.terminated) this.r.fail("TSBPF2017", fn);
    checkPacketUses(this);
    checkSpinLocks(this);
    return this.b.finish();
  }

  private block(b: ts.Block): void {
    for (const s of b.statements) this.stmt(s);
  }

  private stmt(s: ts.Statement): void {
    if (this.b.terminated) {
      // Code after return/break/continue: nothing reaches it. Lower it into a fresh unreachable block
      // so it is still checked, then let dead-code elimination drop it.
      this.b.switchTo(this.b.newBlock());
      this.b.seal(this.b.current);
    }
    this.setLoc(s);
    switch (s.kind) {
      case K.Block:
        return this.block(s as ts.Block);
      case K.EmptyStatement:
        return;
      case K.ExpressionStatement:
        this.lower((s as ts.ExpressionStatement).expression);
        return;
      case K.VariableStatement:
        return this.varStatement(s as ts.VariableStatement);
      case K.IfStatement:
        return this.ifStatement(s as ts.IfStatement);
      case K.ForStatement:
        return this.forStatement(s as ts.ForStatement);
      case K.WhileStatement:
      case K.DoStatement:
        return this.whileStatement(s as ts.WhileStatement | ts.DoStatement);
      case K.SwitchStatement:
        return this.switchStatement(s as ts.SwitchStatement);
      case K.LabeledStatement: {
        const l = s as ts.LabeledStatement;
        const label = l.label.text;
        if (ts.isForStatement(l.statement)) return this.forStatement(l.statement, label);
        if (ts.isWhileStatement(l.statement) || ts.isDoStatement(l.statement)) return this.whileStatement(l.statement, label);
        if (ts.isSwitchStatement(l.statement)) return this.switchStatement(l.statement, label);
        const exit = this.b.newBlock();
        this.loops.push({ brk: exit, cont: -1, label, isSwitch: true });
        this.stmt(l.statement);
        this.loops.pop();
        this.b.jump(exit);
        this.b.seal(exit);
        this.b.switchTo(exit);
        return;
      }
      case K.ReturnStatement: {
        const e = (s as ts.ReturnStatement).expression;
        const frame = this.inlineFrames[this.inlineFrames.length - 1];
        if (frame) {
          if (e && frame.ret) {
            const v = convert(this.b, this.int(e), frame.ret).v;
            frame.incoming.push({ block: this.b.current, value: v });
          } else if (e && frame.out) this.writeValue(frame.out, frame.out.t, e);
          else if (e) this.lower(e);
          return this.b.jump(frame.join);
        }
        if (!e) this.r.fail("TSBPF2017", s);
        return this.ret(e);
      }
      case K.BreakStatement:
      case K.ContinueStatement: {
        const jump = s as ts.BreakStatement | ts.ContinueStatement;
        const isBreak = s.kind === K.BreakStatement;
        const label = jump.label?.text;
        const target = [...this.loops].reverse().find((l) => (label ? l.label === label : isBreak || !l.isSwitch));
        const to = target && (isBreak ? target.brk : target.cont);
        if (to === undefined || to < 0) this.r.fail("TSBPF1035", s);
        return this.b.jump(to);
      }
    }
    this.r.fail("TSBPF1035", s);
  }

  /** Calls go to lower-call.ts, imported here rather than by lower-expr.ts to keep imports acyclic. */
  override callExpression(e: ts.CallExpression): Val {
    return lowerCall(this, e);
  }

  /**
   * A call of a module-level function, inlined: arguments are evaluated in the caller, parameters
   * bound as locals, and every `return` jumps to a join block whose phi is the call's value.
   */
  override callUserFunction(decl: ts.FunctionDeclaration, call: ts.CallExpression): Val {
    if (wantsCall(decl)) {
      if (decl.name?.text === this.prog.name) this.r.fail("TSBPF2025", call, decl.name.text);
      return emitCall(this, decl, call);
    }
    if (this.inlineFrames.some((f) => f.decl === decl)) this.r.fail("TSBPF2025", call, decl.name?.text ?? "function");
    if (decl.parameters.length > 5) this.r.fail("TSBPF2004", decl.parameters[5]);
    if (!decl.body) this.r.fail("TSBPF1035", decl);
    const args = call.arguments.map((a) => this.lower(a));
    const retTs = this.checker.getReturnTypeOfSignature(this.checker.getSignatureFromDeclaration(decl)!);
    const isVoid = !!(retTs.flags & ts.TypeFlags.Void);
    const ret = isVoid ? undefined : this.types.intOf(retTs);
    // A struct result (`function key(ip: Ipv4Hdr): FlowKey { return { ... }; }`) is written into a new
    // stack slot of the caller's, and the call is a reference to it, as a struct local would be.
    const st = isVoid || ret ? undefined : this.types.memType(retTs);
    const out = st?.kind === "struct" ? this.newStackValue(st).ref : undefined;
    if (!isVoid && !ret && !out)
      this.r.fail(
        "TSBPF2021",
        decl.type ?? decl.name ?? decl,
        `${this.checker.typeToString(retTs)} as a result (results are integers, booleans, structs or void)`,
      );
    decl.parameters.forEach((p, i) => {
      if (!ts.isIdentifier(p.name)) this.r.fail("TSBPF1029", p.name);
      const sym = this.symbolOf(p.name)!;
      const arg = args[i];
      const pt = this.checker.getTypeAtLocation(p.name);
      const it = this.types.intOf(pt);
      if (it) {
        this.locals.set(sym, { kind: "int", t: it, mutable: true });
        this.b.writeVar(sym, convert(this.b, this.asInt(arg, call.arguments[i]), it).v);
      } else if (arg.k === "ref") {
        this.locals.set(sym, { kind: "ptr", t: arg.t, nullable: false, region: arg.region, mutable: false });
        this.b.writeVar(sym, this.addOff(arg));
      } else if (arg.k === "nullable") {
        this.locals.set(sym, { kind: "ptr", t: arg.t, nullable: true, region: arg.region, mutable: false });
        this.b.writeVar(sym, arg.ptr);
      } else if (arg.k === "ctx") {
        this.locals.set(sym, { kind: "ctx" });
      } else {
        this.r.fail("TSBPF2021", p, this.checker.typeToString(pt));
      }
      if ((arg.k === "ref" || arg.k === "nullable") && arg.region === "packet") notePacketLocal(this, sym);
    });
    const join = this.b.newBlock();
    const frame = { decl, ret, out, join, incoming: [] as { block: number; value: Operand }[] };
    const savedLoops = this.loops;
    const savedLoc = this.b.loc;
    this.loops = [];
    this.inlineFrames.push(frame);
    this.block(decl.body);
    if (!this.b.terminated) {
      if ((ret || out) && this.b.openBlocks().includes(this.b.current))
        this.r.fail("TSBPF2200", decl.name ?? decl, decl.name?.text ?? "function");
      this.b.jump(join);
    }
    this.inlineFrames.pop();
    this.loops = savedLoops;
    this.b.loc = savedLoc;
    this.b.seal(join);
    this.b.switchTo(join);
    if (out) return out;
    if (!ret) return { k: "int", v: { imm: 0n }, t: INT_TYPES.i32 };
    const dst = this.b.phi(join, irTy(ret), frame.incoming);
    return { k: "int", v: dst, t: ret };
  }

  private ret(e: ts.Expression): void {
    if (!this.retType) {
      this.lower(e);
      return this.b.terminate({ op: "ret", value: { imm: 0n } });
    }
    const v = convert(this.b, this.int(e), this.retType);
    if (this.loopBody) return this.retStopFlag(v.v, this.retType.size === 8 ? 64 : 32);
    // A 32-bit result travels zero-extended in r0, as every i32 value is kept (isel): a constant
    // such as -1 must not be loaded sign-extended into all 64 bits.
    this.b.terminate({ op: "ret", value: narrowImm(v.v, this.retType) });
  }

  /** bpf_loop's verifier check wants r0 in [0, 1]: any non-zero result means "stop" and returns 1. */
  private retStopFlag(v: Operand, width: 32 | 64): void {
    if (typeof v === "object" && "imm" in v) return this.b.terminate({ op: "ret", value: { imm: v.imm === 0n ? 0n : 1n } });
    const stop = this.b.newBlock();
    const go = this.b.newBlock();
    this.b.terminate({ op: "cbr", cond: "ne", width, a: v, b: { imm: 0n }, then: stop, else: go });
    this.b.seal(stop);
    this.b.seal(go);
    this.b.switchTo(stop);
    this.b.terminate({ op: "ret", value: { imm: 1n } });
    this.b.switchTo(go);
    this.b.terminate({ op: "ret", value: { imm: 0n } });
  }

  private varStatement(s: ts.VariableStatement): void {
    const mutable = !(s.declarationList.flags & ts.NodeFlags.Const);
    for (const d of s.declarationList.declarations) this.declare(d, mutable);
  }

  declare(d: ts.VariableDeclaration, mutable: boolean): void {
    if (!ts.isIdentifier(d.name)) this.r.fail("TSBPF1029", d.name);
    const sym = this.symbolOf(d.name);
    if (!sym) this.r.fail("TSBPF2016", d.name, d.name.text);
    const declaredTs = this.checker.getTypeAtLocation(d.name);
    const declaredInt = d.type ? this.types.intOf(declaredTs) : undefined;
    if (!d.initializer) {
      const t = declaredInt ?? this.r.fail("TSBPF2002", d.name, d.name.text);
      this.locals.set(sym, { kind: "int", t, mutable });
      this.b.writeVar(sym, { imm: 0n });
      return;
    }
    const init = d.initializer;
    if (this.isZeroCall(init)) {
      const t = this.types.memType(declaredTs);
      if (!t || t.kind === "int") {
        const it = declaredInt ?? this.r.fail("TSBPF2002", d.name, d.name.text);
        this.locals.set(sym, { kind: "int", t: it, mutable });
        this.b.writeVar(sym, { imm: 0n });
        return;
      }
      const { slot, ref } = this.newStackValue(t);
      this.locals.set(sym, { kind: "stack", t, slot });
      this.zero(ref, sizeOf(t));
      return;
    }
    if (ts.isObjectLiteralExpression(init)) {
      const t = this.types.memType(declaredTs);
      if (t?.kind !== "struct") this.r.fail("TSBPF1015", init);
      this.stackStruct(sym, t, init);
      return;
    }
    const v = this.lower(init);
    let info: LocalInfo;
    switch (v.k) {
      case "int": {
        if (declaredInt) this.checkLiteral(v, declaredInt, init);
        // Without a declared type a local takes its initialiser's type (a literal's is C's: i32, ...).
        const t = declaredInt ?? v.t;
        const c = convert(this.b, v, t);
        info = { kind: "int", t, mutable };
        this.b.writeVar(sym, c.v);
        break;
      }
      case "nullable":
        info = { kind: "ptr", t: v.t, nullable: true, region: v.region, mutable };
        this.b.writeVar(sym, v.ptr);
        break;
      case "ref":
        if (v.t.kind === "int") {
          // Reading an integer field into a local copies it.
          const t = declaredInt ?? v.t;
          const c = convert(this.b, this.load(v, v.t), t);
          info = { kind: "int", t, mutable };
          this.b.writeVar(sym, c.v);
        } else {
          info = { kind: "ptr", t: v.t, nullable: false, region: v.region, mutable };
          this.b.writeVar(sym, this.addOff(v));
        }
        break;
      case "ctx":
        info = { kind: "ctx" };
        break;
      case "map":
        this.r.fail("TSBPF2021", d, "a map (use the module-level map directly)");
    }
    this.locals.set(sym, info);
    if (info.kind === "ptr" && info.region === "packet") notePacketLocal(this, sym);
  }

  private stackStruct(sym: ts.Symbol, t: CType, init: ts.ObjectLiteralExpression): void {
    if (t.kind !== "struct") return;
    const { slot, ref } = this.newStackValue(t);
    this.locals.set(sym, { kind: "stack", t, slot });
    this.writeObject(ref, t, init);
  }

  private ifStatement(s: ts.IfStatement): void {
    const thenB = this.b.newBlock();
    const elseB = s.elseStatement ? this.b.newBlock() : undefined;
    const join = this.b.newBlock();
    this.cond(s.expression, thenB, elseB ?? join);
    this.b.seal(thenB);
    this.b.switchTo(thenB);
    this.stmt(s.thenStatement);
    this.b.jump(join);
    if (elseB !== undefined) {
      this.b.seal(elseB);
      this.b.switchTo(elseB);
      this.stmt(s.elseStatement!);
      this.b.jump(join);
    }
    this.b.seal(join);
    this.b.switchTo(join);
  }

  /**
   * Only loops the verifier can bound: `for (let i = A; i <op> N; i++ | i-- | i += k | i -= k)` with
   * constant A, N and k, and no other writes to i. The verifier then proves termination by walking
   * each iteration with i's exact value.
   */
  private forStatement(s: ts.ForStatement, label?: string): void {
    this.checkBoundedFor(s);
    if (ts.isVariableDeclarationList(s.initializer!)) {
      for (const d of s.initializer.declarations) this.declare(d, true);
    } else {
      this.lower(s.initializer as ts.Expression);
    }
    const header = this.b.newBlock();
    const body = this.b.newBlock();
    const latch = this.b.newBlock();
    const exit = this.b.newBlock();
    this.b.jump(header);
    this.b.switchTo(header);
    this.cond(s.condition!, body, exit);
    this.b.seal(body);
    this.b.switchTo(body);
    this.loops.push({ brk: exit, cont: latch, label });
    this.stmt(s.statement);
    this.loops.pop();
    this.b.jump(latch);
    this.b.seal(latch);
    this.b.switchTo(latch);
    this.setLoc(s.incrementor!);
    this.lower(s.incrementor!);
    this.b.jump(header);
    this.b.seal(header);
    this.b.seal(exit);
    this.b.switchTo(exit);
  }

  /**
   * `while (i < N) { ...; i++; }` and `do { ...; i++; } while (i < N)`: the same counted shape as a
   * for loop, with the counter stepped by top-level statements of the body and no `continue` (which
   * could skip the step).
   */
  private whileStatement(s: ts.WhileStatement | ts.DoStatement, label?: string): void {
    this.checkBoundedWhile(s);
    const header = this.b.newBlock();
    const body = this.b.newBlock();
    const exit = this.b.newBlock();
    this.b.jump(ts.isDoStatement(s) ? body : header);
    this.b.switchTo(header);
    this.setLoc(s.expression);
    this.cond(s.expression, body, exit);
    this.b.switchTo(body);
    this.loops.push({ brk: exit, cont: header, label });
    this.stmt(s.statement);
    this.loops.pop();
    this.b.jump(header);
    this.b.seal(body);
    this.b.seal(header);
    this.b.seal(exit);
    this.b.switchTo(exit);
  }

  /** switch: a chain of compares; cases fall through like C's; `break` leaves the switch. */
  private switchStatement(s: ts.SwitchStatement, label?: string): void {
    const subject = this.int(s.expression);
    const exit = this.b.newBlock();
    const clauses = s.caseBlock.clauses;
    const bodies = clauses.map(() => this.b.newBlock());
    let defaultBody = exit;
    for (let i = 0; i < clauses.length; i++) {
      const c = clauses[i];
      if (ts.isDefaultClause(c)) {
        defaultBody = bodies[i];
        continue;
      }
      const v = constEval(c.expression, this.checker);
      if (v === undefined) this.r.fail("TSBPF2013", c.expression, "a case label");
      const next = this.b.newBlock();
      this.setLoc(c);
      this.compareWith(subject, v, c.expression, bodies[i], next);
      this.b.seal(next);
      this.b.switchTo(next);
    }
    this.b.jump(defaultBody);
    this.loops.push({ brk: exit, cont: this.innerContinue(), label, isSwitch: true });
    for (let i = 0; i < clauses.length; i++) {
      this.b.seal(bodies[i]);
      this.b.switchTo(bodies[i]);
      for (const st of clauses[i].statements) this.stmt(st);
      this.b.jump(i + 1 < clauses.length ? bodies[i + 1] : exit); // fall through
    }
    this.loops.pop();
    this.b.seal(exit);
    this.b.switchTo(exit);
  }

  private innerContinue(): number {
    for (let i = this.loops.length - 1; i >= 0; i--) if (!this.loops[i].isSwitch) return this.loops[i].cont;
    return -1;
  }

  private checkBoundedFor(s: ts.ForStatement): void {
    const fail = (): never => this.r.fail("TSBPF2001", s.condition ?? s);
    const init = s.initializer;
    if (!init || !s.condition || !s.incrementor) fail();
    let counterName: ts.Identifier | undefined;
    if (ts.isVariableDeclarationList(init!)) {
      const d = init.declarations[0];
      if (init.declarations.length !== 1 || !ts.isIdentifier(d.name) || !d.initializer) fail();
      if (constEval(d.initializer!, this.checker) === undefined) fail();
      counterName = d.name as ts.Identifier;
    } else if (ts.isBinaryExpression(init!) && init.operatorToken.kind === K.EqualsToken && ts.isIdentifier(init.left)) {
      if (constEval(init.right, this.checker) === undefined) fail();
      counterName = init.left;
    } else fail();
    const counter = this.symbolOf(counterName!) ?? fail();
    this.checkCondition(s.condition!, counter, fail);
    if (!this.isStep(s.incrementor!, counter)) fail();
    this.noWrites(s.statement, counter);
    const start = ts.isVariableDeclarationList(init!)
      ? constEval(init.declarations[0].initializer!, this.checker)!
      : constEval((init as ts.BinaryExpression).right, this.checker)!;
    const declared = this.types.intOf(this.checker.getTypeAtLocation(counterName!));
    const type = declared && declared.name !== "bool" ? declared : literalType(start);
    if (
      tripCount(
        start,
        type,
        s.condition as ts.BinaryExpression,
        this.stepOf(s.incrementor!),
        counter,
        (n) => this.symbolOf(n),
        this.checker,
      ) === undefined
    ) {
      this.r.fail("TSBPF2026", s.condition!, MAX_TRIPS);
    }
  }

  /** The signed step of `i++`, `i--`, `i += k`, `i -= k`. */
  private stepOf(inc: ts.Expression): bigint {
    if (ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) return inc.operator === K.PlusPlusToken ? 1n : -1n;
    const b = inc as ts.BinaryExpression;
    const k = constEval(b.right, this.checker)!;
    return b.operatorToken.kind === K.PlusEqualsToken ? k : -k;
  }

  private checkBoundedWhile(s: ts.WhileStatement | ts.DoStatement): void {
    const fail = (): never => this.r.fail("TSBPF2001", s.expression);
    const c = s.expression;
    if (!ts.isBinaryExpression(c)) fail();
    const b = c as ts.BinaryExpression;
    const counterNode =
      ts.isIdentifier(b.left) && constEval(b.right, this.checker) !== undefined
        ? b.left
        : ts.isIdentifier(b.right) && constEval(b.left, this.checker) !== undefined
          ? b.right
          : fail();
    const counter = this.symbolOf(counterNode) ?? fail();
    const l = this.locals.get(counter);
    if (l?.kind !== "int") fail();
    this.checkCondition(c, counter, fail);
    const body = ts.isBlock(s.statement) ? s.statement.statements : [s.statement];
    const steps = body.filter((st) => ts.isExpressionStatement(st) && this.isStep(st.expression, counter));
    if (steps.length === 0) fail();
    // A `continue` goes to the condition: only after every step (`i++; if (x) continue;`), or it would
    // skip them. One of a nested loop (unlabeled) is that loop's.
    const lastStep = Math.max(...steps.map((st) => body.indexOf(st)));
    const visit = (n: ts.Node, nested: boolean, at: number): void => {
      if (ts.isContinueStatement(n) && (!nested || n.label) && at < lastStep) this.r.fail("TSBPF2001", n);
      if (ts.isFunctionLike(n)) return;
      ts.forEachChild(n, (c) => visit(c, nested || ts.isIterationStatement(n, false), at));
    };
    body.forEach((st, i) => visit(st, false, i));
    for (const st of body) if (!steps.includes(st)) this.noWrites(st, counter);
  }

  private checkCondition(c: ts.Expression, counter: ts.Symbol, fail: () => never): void {
    const relational = [
      K.LessThanToken,
      K.LessThanEqualsToken,
      K.GreaterThanToken,
      K.GreaterThanEqualsToken,
      K.ExclamationEqualsEqualsToken,
      K.ExclamationEqualsToken,
    ];
    if (!ts.isBinaryExpression(c) || !relational.includes(c.operatorToken.kind)) fail();
    const cb = c as ts.BinaryExpression;
    const isCounter = (e: ts.Node) => ts.isIdentifier(e) && this.symbolOf(e) === counter;
    const bound = isCounter(cb.left) ? cb.right : isCounter(cb.right) ? cb.left : fail();
    if (constEval(bound, this.checker) === undefined) fail();
  }

  private isStep(inc: ts.Expression, counter: ts.Symbol): boolean {
    const isCounter = (e: ts.Node) => ts.isIdentifier(e) && this.symbolOf(e) === counter;
    return (
      ((ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) &&
        (inc.operator === K.PlusPlusToken || inc.operator === K.MinusMinusToken) &&
        isCounter(inc.operand)) ||
      (ts.isBinaryExpression(inc) &&
        (inc.operatorToken.kind === K.PlusEqualsToken || inc.operatorToken.kind === K.MinusEqualsToken) &&
        isCounter(inc.left) &&
        constEval(inc.right, this.checker) !== undefined)
    );
  }

  /** Reports any write to the loop counter inside `n`. */
  private noWrites(n: ts.Node, counter: ts.Symbol): void {
    const isCounter = (e: ts.Node) => ts.isIdentifier(e) && this.symbolOf(e) === counter;
    const visit = (x: ts.Node): void => {
      if (
        ts.isBinaryExpression(x) &&
        x.operatorToken.kind >= K.FirstAssignment &&
        x.operatorToken.kind <= K.LastAssignment &&
        isCounter(x.left)
      ) {
        this.r.fail("TSBPF2001", x);
      }
      if (
        (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
        (x.operator === K.PlusPlusToken || x.operator === K.MinusMinusToken) &&
        isCounter(x.operand)
      ) {
        this.r.fail("TSBPF2001", x);
      }
      ts.forEachChild(x, visit);
    };
    visit(n);
  }
}

/** Loops the compiler accepts run at most this many times (the verifier walks every iteration). */
const MAX_TRIPS = 65536;

/**
 * Runs a counted loop's counter (wrapping in its type) until the condition fails; the number of
 * iterations, or undefined when it does not end within MAX_TRIPS (a bound the step skips over, a
 * counter moving away from its bound, a bound outside the counter's type).
 */
function tripCount(
  start: bigint,
  type: CInt,
  cond: ts.BinaryExpression,
  step: bigint,
  counter: ts.Symbol,
  symbolOf: (n: ts.Node) => ts.Symbol | undefined,
  checker: ts.TypeChecker,
): number | undefined {
  const counterLeft = ts.isIdentifier(cond.left) && symbolOf(cond.left) === counter;
  const raw = constEval(counterLeft ? cond.right : cond.left, checker)!;
  // Compared as the lowering compares: the bound adapts to the counter's promoted type when it fits,
  // else C's usual conversions apply (`y < -1` on a u32 compares with 0xffffffff: found by the
  // hostile fuzzer, this counted 0 trips and the kernel gave up after 1M instructions).
  const pt = promote(type);
  const cmpT = fits(raw, pt) ? pt : commonType(pt, literalType(raw));
  const bound = wrapConst(raw, cmpT);
  const op = cond.operatorToken.kind;
  const holds = (n: bigint): boolean => {
    const i = wrapConst(n, cmpT);
    const [a, b] = counterLeft ? [i, bound] : [bound, i];
    switch (op) {
      case K.LessThanToken:
        return a < b;
      case K.LessThanEqualsToken:
        return a <= b;
      case K.GreaterThanToken:
        return a > b;
      case K.GreaterThanEqualsToken:
        return a >= b;
      default:
        return a !== b;
    }
  };
  let i = wrapConst(start, type);
  for (let n = 0; n <= MAX_TRIPS; n++) {
    if (!holds(i)) return n;
    i = wrapConst(i + step, type);
  }
  return undefined;
}
