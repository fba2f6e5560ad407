// Which values the verifier needs exactly, for the verifier-cost estimate (verifier-cost.ts):
// code after a loop, or the loop itself, that compares, indexes or offsets with what the loop
// changes keeps its exit states (or its trips' states) apart, so they do not prune but multiply.

import { constEval } from "./const-eval.js";
import { branchlessCount, branchlessVar, branchlessWrite, isPacketRead } from "./verifier-cost-branchless.js";
import { branchKept, writesUnbranched } from "./verifier-cost-ir.js";
import { skipParens } from "./verifier-cost-known.js";
import { ts } from "./ts-adapter.js";
import {
  argumentsFor,
  calleeOf,
  constantStep,
  constantSteps,
  countedCall,
  dataWriteSites,
  enclosingFunction,
  guards,
  isCounterOf,
  isGlobal,
  keepsRange,
  loopBody,
  loopCounters,
  loopWrites,
  mentions,
  readsOnly,
  setsConstantsCountsDown,
  setsOnlyConstants,
  soleStatement,
  varSymbol,
  writes,
  writesOf,
  writeTarget,
} from "./verifier-cost-writes.js";
import { counterCondition, type IntT, intTypeOf, isIntCast, K_REL, maxT, minT, ORDERINGS, rangeOf } from "./verifier-cost-ranges.js";

const K = ts.SyntaxKind;

/**
 * Does code after `loop` use, where the verifier needs its exact value (a condition, an index, a
 * map key, a call argument), a variable the loop writes other than its counter? (The counter leaves
 * every trip at the same value, its bound, except the first exit.)
 */
export function preciseAfter(
  loop: ts.IterationStatement,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
  offsets = false,
  only?: ts.Symbol,
): boolean {
  const written = loopWrites(loop, checker);
  if (counter) written.delete(counter);
  // `only`: that one variable.
  if (only) for (const v of [...written]) if (v !== only) written.delete(v);
  // `offsets`: only uses the verifier surely marks precise, a packet offset or an index (pointer
  // arithmetic); an undecided comparison or a map key on the stack does not make it track the
  // value (measured: the nested-loop table with `acc` compared or used as a key loads with 4,000 to
  // 75,000 processed). Variables declared in the loop do not outlive a trip.
  if (offsets)
    for (const v of [...written]) {
      const d = v.valueDeclaration;
      if (d && d.pos >= loop.pos && d.end <= loop.end) written.delete(v);
    }
  // A variable made unknown at every exit (`s ^= u64(x) * 3`) prunes against the first exit's:
  // measured, 65,535 trips of that then 50 comparisons of s load with 532,587 processed. One that
  // adds up (`s += u64(x)`) holds a different range at each exit and does not.
  for (const v of [...written]) if (!keepsRange(loop, v, checker)) written.delete(v);
  if (written.size === 0) return false;
  return exactlyAfter(loop, written, only?.valueDeclaration, checker, offsets);
}

/**
 * usesExactly over what runs after `loop`. A variable `decl` declares in a loop around `loop` is
 * declared afresh at that loop's next trip: only the rest of the trip sees the value `loop` leaves
 * (the verifier finds it dead after). What that rest computes from it into a variable that outlives
 * the trip (`off += len + 1`, `off` declared before the loop around) carries the differences on,
 * into the next trips and the code after (measured: 3 words of up to 16 bytes, each counted into
 * `len` and skipped by `off += len + 1`, process 101,024; 3 of 32 are refused).
 */
function exactlyAfter(
  loop: ts.IterationStatement,
  vars: Set<ts.Symbol>,
  decl: ts.Declaration | undefined,
  checker: ts.TypeChecker,
  offsets: boolean,
): boolean {
  const start = new Set(vars);
  if (usesExactly(statementsAfter(loop, decl), vars, checker, offsets)) return true;
  if (!decl) return false;
  let around: ts.Node | undefined = loop.parent;
  while (around && !ts.isFunctionLike(around) && !(ts.isIterationStatement(around, false) && within(decl, around.statement)))
    around = around.parent;
  if (!around || !ts.isIterationStatement(around, false)) return false;
  const body = around.statement;
  const carried = new Set([...vars].filter((v) => !start.has(v) && v.valueDeclaration && !within(v.valueDeclaration, body)));
  return carried.size > 0 && usesExactly(statementsAfter(loop), carried, checker, offsets);
}

const within = (inner: ts.Node, outer: ts.Node): boolean => inner.pos >= outer.pos && inner.end <= outer.end;

/**
 * Is there, among `nodes`, a comparison of an expression of `v` with a constant that the
 * expression's range decides whatever v holds (`(v >>> 31) > 5`)? The verifier then needs v exactly.
 */
function decidedByType(nodes: readonly ts.Node[], v: ts.Symbol, checker: ts.TypeChecker): boolean {
  const decided = (e: ts.Expression, c: bigint): boolean => {
    while (ts.isParenthesizedExpression(e)) e = e.expression;
    if (ts.isIdentifier(e) || !mentions(e, v, checker)) return false;
    const r = rangeOf(e, checker);
    return r !== undefined && (c < r[0] || c > r[1]);
  };
  for (const n of nodes) {
    const st: ts.Node[] = [n];
    while (st.length) {
      const x = st.pop()!;
      if (ts.isBinaryExpression(x) && K_REL.has(x.operatorToken.kind)) {
        const l = constEval(x.left, checker);
        const r = constEval(x.right, checker);
        if ((r !== undefined && decided(x.left, r)) || (l !== undefined && decided(x.right, l))) return true;
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
  }
  return false;
}

/**
 * What runs after `loop`: the statements after it in its block and every enclosing one up to the
 * function, and the loops around it (their next trips). With `decl`, only where what it declares is
 * in scope with the value `loop` leaves: not past the loop whose body declares it.
 */
export function statementsAfter(loop: ts.IterationStatement, decl?: ts.Declaration): ts.Node[] {
  const after: ts.Node[] = [];
  for (let at: ts.Node = loop; at.parent && !ts.isFunctionLike(at); at = at.parent) {
    const par = at.parent;
    if (ts.isBlock(par) || ts.isCaseClause(par) || ts.isDefaultClause(par)) {
      const stmts = par.statements as readonly ts.Node[];
      after.push(...stmts.slice(stmts.indexOf(at) + 1));
    } else if (ts.isIterationStatement(par, false)) {
      if (decl && decl.pos >= par.statement.pos && decl.end <= par.statement.end) break;
      after.push(par);
    }
  }
  return after;
}

/**
 * Does one of `nodes` use a variable of `written` (or a local computed from one) where the verifier
 * needs its exact value: a condition, an index, a map key, a call argument; with `offsets`, only a
 * packet offset or an index (pointer arithmetic). Grows `written` with those locals.
 */
export function usesExactly(nodes: readonly ts.Node[], written: Set<ts.Symbol>, checker: ts.TypeChecker, offsets: boolean): boolean {
  // `structs`: a struct passed to a module function counts as its fields (the result carries them).
  const reads = (e: ts.Node | undefined, structs = true): boolean => {
    if (!e) return false;
    let hit = false;
    const st: ts.Node[] = [e];
    while (st.length && !hit) {
      const x = st.pop()!;
      if (ts.isIdentifier(x)) {
        const sym = checker.getSymbolAtLocation(x);
        if (sym && written.has(sym)) hit = true;
        // A struct passed to a function hands it the fields (varSymbol's field symbols).
        else if (structs && ts.isCallExpression(x.parent) && x.parent.arguments.includes(x) && holdsField(x, written, checker)) hit = true;
      }
      ts.forEachChild(x, (c) => {
        st.push(c);
      });
    }
    return hit;
  };
  for (const a of nodes) {
    const st: ts.Node[] = [a];
    while (st.length) {
      const x = st.pop()!;
      // An `if` whose branch the passes replaced with arithmetic decides nothing (verifier-cost-ir.ts):
      // its condition (pure: no call, no offset) is left out, its sides are not.
      if (!offsets && ts.isIfStatement(x) && branchKept(x) === false) {
        if (x.elseStatement) st.push(x.elseStatement);
        st.push(x.thenStatement);
        continue;
      }
      if (!offsets && (ts.isIfStatement(x) || ts.isWhileStatement(x) || ts.isDoStatement(x) || ts.isSwitchStatement(x))) {
        if (reads(x.expression)) return true;
      } else if (!offsets && ts.isForStatement(x)) {
        if (reads(x.condition) || reads(x.initializer)) return true;
      } else if (!offsets && ts.isConditionalExpression(x)) {
        if (reads(x.condition)) return true;
      } else if (
        !offsets &&
        ts.isBinaryExpression(x) &&
        (x.operatorToken.kind === K.AmpersandAmpersandToken || x.operatorToken.kind === K.BarBarToken || K_REL.has(x.operatorToken.kind))
      ) {
        if (reads(x.left) || reads(x.right)) return true;
      } else if (ts.isElementAccessExpression(x)) {
        if (reads(x.argumentExpression)) return true;
      } else if (offsets && ts.isCallExpression(x) && isPacketRead(x)) {
        if (x.arguments.some((arg) => reads(arg))) return true;
      } else if (!offsets && ts.isCallExpression(x) && !isIntCast(x)) {
        // A map key, a size, a helper's flags: all may have to be exact. Stored values need not be,
        // but telling them apart takes the helper table: count every argument but a method call's
        // second (the value of update/push).
        // A struct handed to a module function as such need not be exact: what it does with the
        // fields is what counts, and its result is followed where it is used.
        const method = ts.isPropertyAccessExpression(x.expression);
        const own = calleeOf(x, checker) !== undefined;
        if (x.arguments.some((arg, k) => !(method && k === 1) && reads(arg, !own))) return true;
      } else if (ts.isVariableDeclaration(x) && ts.isIdentifier(x.name) && reads(x.initializer)) {
        // What is computed from them carries their differences on.
        const sym = checker.getSymbolAtLocation(x.name);
        if (sym) written.add(sym);
      } else if (
        ts.isBinaryExpression(x) &&
        x.operatorToken.kind >= K.FirstAssignment &&
        x.operatorToken.kind <= K.LastAssignment &&
        ts.isIdentifier(x.left) &&
        reads(x.right)
      ) {
        const sym = checker.getSymbolAtLocation(x.left);
        if (sym) written.add(sym);
      }
      // In source order: a local computed from them is seen before its uses.
      const kids: ts.Node[] = [];
      ts.forEachChild(x, (c) => {
        kids.push(c);
      });
      for (let k = kids.length - 1; k >= 0; k--) st.push(kids[k]!);
    }
  }
  return false;
}

/** Does the struct `e` names have, at any depth, a field in `fields`? */
function holdsField(e: ts.Expression, fields: ReadonlySet<ts.Symbol>, checker: ts.TypeChecker): boolean {
  const types: ts.Type[] = [checker.getTypeAtLocation(e)];
  for (let depth = 0; depth < 4 && types.length; depth++) {
    const next: ts.Type[] = [];
    for (const t of types)
      for (const f of t.getProperties()) {
        if (fields.has(f)) return true;
        if (f.valueDeclaration && ts.isPropertySignature(f.valueDeclaration))
          next.push(checker.getTypeOfSymbolAtLocation(f, f.valueDeclaration));
      }
    types.splice(0, types.length, ...next.filter((t) => t.getFlags() & ts.TypeFlags.Object));
  }
  return false;
}

/**
 * A loop that changes a variable only on some trips, under a condition on data, while the verifier
 * needs its exact value: the loop adds it to a pointer (a packet offset, an index), or a comparison
 * the verifier can decide reads it in the loop or after it. The paths that changed it a different
 * number of times reach the next trip with different ranges and do not prune each other, and (the
 * verifier stores a state only every few jumps, so paths reaching one range by different routes are
 * not all merged) they multiply up to (1 + s) per trip for s such write sites. Measured
 * (test/verifier-cost-self.test.ts): through an offset about 1.4x per trip in a small body and 2x in
 * the differential fuzzer's case 12, counted as 2x; through a comparison about 1.5x, counted as 1.6x.
 * Returns the factor and the variable; writes inside nested loops are TSBPF3012's (noteExits). A
 * 32-bit variable that starts at its type's whole range stays there (the change wraps): not counted.
 */
export function selfExactFactor(
  loop: ts.IterationStatement,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
): { factor: number; name?: string } {
  const counters = loopCounters(loop, checker);
  // A local a test at the top of the body pins (`if (b !== 255) break;`) is a known value for the
  // rest of the trip: a step by it is a step by a constant (differential seed 20261358: `acc += b`
  // with b pinned so, and `acc--` beside a map lookup, in a 25-trip loop, refused with no warning).
  const pins = new Set(pinned(loop, checker));
  const knownHere = new Set([...counters, ...pins]);
  let factor = 1;
  let name: string | undefined;
  for (const v of loopWrites(loop, checker)) {
    if (v === counter || counters.has(v)) continue;
    const d = v.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || (d.pos >= loop.pos && d.end <= loop.end)) continue;
    if (isGlobal(d) || setsOnlyConstants(loop, v, checker) || setsConstantsCountsDown(loop, v, checker)) continue;
    const t = intTypeOf(d.name, checker);
    if (!keepsRange(loop, v, checker, (r) => narrowerThan(r, t, checker))) continue;
    // Changed by earlier code in a way the start does not show (an earlier loop's `acc0 -= acc0`,
    // seed 20261214): it may enter exact, so the whole-range rule below does not apply.
    const { start, rewritten } = startOf(loop, v, d, checker);
    const init = start ? rangeOf(start, checker) : undefined;
    // A whole range moved by a step wraps to the whole range again, and those paths prune; but one
    // that a comparison with a constant in the loop splits moves in pieces that differ (`if (b >
    // 100) v++; if (v < 0x77) ...` on a u16 from the packet: 956,344 processed at 64 trips).
    const split = splitByConstant(loop, v, checker);
    if (!rewritten && !split && t && t.bits <= 32 && (!init || (init[0] <= minT(t) && init[1] >= maxT(t)))) continue;
    // Also moved by a value read from data (`off += len` beside `off++`, a TCP options walk) and
    // compared with nothing in the loop or after it: its range widens by the step's on every trip,
    // and the paths a constant step sets apart overlap and prune (20 trips: 4,620 processed, warned
    // at 99 billion; with `off += 2` instead, 92,344). Compared, it keeps them apart (seed
    // 20261206's offset case, and seed 20261216's `(acc0 >>> 31) > 5` after the loop).
    // A ceiling that leaves the loop (`if (off > 94) break;`) does not keep them apart the same way:
    // ceilingStepWalks counts it (40 trips: 20,167 processed, warned here at 19 trillion).
    if (steppedByData(loop, v, knownHere, checker) && !inRelation([loop.statement, ...statementsAfter(loop, d)], v, checker, true, loop))
      continue;
    // Writes the if-convert pass computes without a branch leave one path: they do not multiply.
    // So do writes whose own `if` the passes took out, whatever branch is around it: the changed
    // value's range holds the unchanged one's (`n + c` with c in [0, 1], a select's union), so the
    // paths an outer branch leaves prune (quoted-strings: 24 bytes processed 2,731).
    if (branchlessCount(v, loop, checker) || writesUnbranched(writesOf(loop, v, checker), loop, true)) continue;
    const fn = enclosingFunction(loop);
    const branchless = fn !== undefined && (branchlessVar(v, fn, checker) || branchlessVar(v, fn, checker, true));
    const sites = dataWriteSites(loop, v, counters, checker, (x) => writesUnbranched([x], loop) ?? (branchless && branchlessWrite(x)));
    if (sites === 0) continue;
    // Twice: a local computed from v may be declared after the scan met its use.
    const from = new Set([v]);
    const offset = usesExactly([loop.statement], from, checker, true) || usesExactly([loop.statement], from, checker, true);
    // A comparison the verifier can decide marks v precise too, in the loop or after it: v must
    // start in a known range and move by constant steps, or its range is soon too wide to decide.
    // Or, whatever its range, a comparison its type decides (`(acc0 >>> 31) > 5` on an i32, seed
    // 20261216: [0, 1] against 5).
    // A packet offset or an index after the loop marks v precise whatever its range and steps (the
    // verifier tracks a pointer's offset exactly, and follows the registers it came from back into
    // the loop): fuzz:cost seed 20261290 #5434, `acc1 += b3` on every trip and `acc1--` beside a
    // failed packet read, then `(58 / acc1) & 31` in a later loop's packet offset, grows about 1.45x
    // per trip (13 trips 15,806 processed, 21 trips 324,564, 25 refused) and was estimated at 7,026.
    const offsetAfter = !offset && usesExactly(statementsAfter(loop, d), new Set([v]), checker, true);
    const compared =
      !offset &&
      (offsetAfter || rewritten || split || narrowStart(d, t, checker, start)) &&
      ((constantSteps(loop, v, checker, pins) &&
        (usesExactly([loop.statement], new Set([v]), checker, false) || preciseAfter(loop, counter, checker, false, v))) ||
        offsetAfter ||
        decidedByType([loop.statement, ...statementsAfter(loop, d)], v, checker));
    if (!offset && !compared) continue;
    // A loop that stops once v passes a tiny bound (`if (n >= 2) break;`) leaves too few values of it
    // to multiply (measured: 128 trips load with 18,180 processed). A bound of 4 does not stop the
    // growth (144 trips load with 743,363, 160 are refused), nor does 8 (64 trips are refused).
    if (exitBound(loop, v, checker) <= 4) continue;
    // Measured per trip: 1.4x to 2x through an offset, about 1.5x through a comparison, 1.45x
    // through an offset after the loop (counted as 1.4x: the estimate starts high there).
    factor = Math.min(factor * (1 + sites * (offset ? 1 : offsetAfter ? 0.4 : 0.6)), 1e3);
    name ??= v.name;
  }
  const fields = fieldCounters(loop, counters, checker);
  if (fields.sites + fields.after + fields.compared > 0) {
    // Measured on seed 20261211's program: about 1.6x per trip (6 trips 3,355 processed, 12 trips
    // 43,659); read after the loop, about 1.3x to 1.5x with two sites (seed 20261300 #5651: 6 trips
    // 18,597, 10 trips 52,698, 14 trips 274,545), counted as 1.3x per site. Compared: 1.3x to 1.8x
    // per trip with one or two sites (seed 20261349's case: 15 trips 29,363 processed, 18 trips
    // 88,793, 21 trips 497,390, 28 refused), counted as 1.45x per site.
    factor = Math.min(factor * (1 + 0.6 * fields.sites + 0.3 * fields.after + 0.45 * fields.compared), 1e3);
    name ??= fields.name;
  }
  return { factor, name };
}

/** Does `loop` add to or subtract from `v` a value read from data (`off += len`; not a counter)? */
export function steppedByData(
  loop: ts.IterationStatement,
  v: ts.Symbol,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): boolean {
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      (x.operatorToken.kind === K.PlusEqualsToken || x.operatorToken.kind === K.MinusEqualsToken) &&
      isCounterOf(x.left, v, checker) &&
      !readsOnly(x.right, counters, checker)
    )
      return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/**
 * Does one of `nodes` compare `v` (an operand of a relation mentions it)? With `ceilings`, not
 * counting a ceiling that leaves the loop (`if (v > 94) break;`: ceilingStepWalks counts those).
 */
function inRelation(
  nodes: readonly ts.Node[],
  v: ts.Symbol,
  checker: ts.TypeChecker,
  ceilings = false,
  loop?: ts.IterationStatement,
): boolean {
  const st: ts.Node[] = [...nodes];
  while (st.length) {
    const x = st.pop()!;
    if (ceilings && (isCeiling(x, v, checker) || (loop !== undefined && isDataCeiling(x, v, loop, checker)))) {
      st.push(x.thenStatement);
      if (x.elseStatement) st.push(x.elseStatement);
      continue;
    }
    if (ts.isBinaryExpression(x) && K_REL.has(x.operatorToken.kind) && (mentions(x.left, v, checker) || mentions(x.right, v, checker)))
      return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/** Does `loop` order `v` itself against a constant (`v < 0x77`, `0x77 > v`)? */
function splitByConstant(loop: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean {
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    const cc = ts.isBinaryExpression(x) ? counterCondition(x, checker) : undefined;
    if (cc && cc.sym === v && ORDERINGS.has(cc.op)) return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/** The identifiers passed as call arguments in `e` (`s0` of `f(s0, 3) & 31`), into `out`. */
function structsPassed(e: ts.Node, out: Set<string>): void {
  const st: ts.Node[] = [e];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isCallExpression(x) && !isIntCast(x)) for (const a of x.arguments) if (ts.isIdentifier(a)) out.add(a.text);
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
}

/**
 * Constant steps (`++s.b`, `s.a += 2`) that `fn`, called at `call`, makes to fields of a struct
 * parameter, with the struct the call passes there (seed 20261273's case 8: `++s.b` in a function
 * called in a packet offset and again under a lookup's result, refused at an estimate of 4,230).
 */
function paramSteps(
  fn: ts.FunctionDeclaration,
  call: ts.CallExpression,
  checker: ts.TypeChecker,
): { x: ts.Node; path: ts.Expression; root: ts.Identifier; site: ts.CallExpression }[] {
  const out: { x: ts.Node; path: ts.Expression; root: ts.Identifier; site: ts.CallExpression }[] = [];
  const st: ts.Node[] = fn.body ? [fn.body] : [];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    const target = writeTarget(x);
    if (target && constantStep(x, checker) && ts.isPropertyAccessExpression(target)) {
      const base = rootOf(target, checker);
      const d = ts.isIdentifier(base) ? checker.getSymbolAtLocation(base)?.valueDeclaration : undefined;
      const arg = d && ts.isParameter(d) && d.parent === fn ? call.arguments[fn.parameters.indexOf(d)] : undefined;
      if (arg && ts.isIdentifier(arg)) out.push({ x, path: target, root: arg, site: call });
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return out;
}

/** Is every value of `e` non-negative and below the top bit of `t`? */
function narrowerThan(e: ts.Expression, t: IntT | undefined, checker: ts.TypeChecker): boolean {
  const r = t && rangeOf(e, checker);
  return !!t && !!r && r[0] >= 0n && r[1] < 1n << BigInt(t.bits - 1);
}

/** The variable a field access starts from (`t6` of `t6.inner.arr[2]`); stops at a computed index. */
function rootOf(path: ts.Expression, checker: ts.TypeChecker): ts.Expression {
  let root = path;
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) {
    if (ts.isElementAccessExpression(root) && constEval(root.argumentExpression, checker) === undefined) break;
    root = root.expression;
  }
  return root;
}

/**
 * Counters kept in a field of a struct on the stack (`t6.inner.arr[2]++` inside a packet offset,
 * the fuzzer's seed 20261211, refused at 21 trips with an estimate of 9,988): the verifier tracks a
 * constant stored on the stack exactly, as it does a variable's. Counts the writes that move such a
 * field by a constant only under a condition on data, where the struct starts known (`zero<T>()` or
 * a literal, declared before the loop) and the field is read in a packet offset in the loop.
 */
function fieldCounters(
  loop: ts.IterationStatement,
  counters: ReadonlySet<ts.Symbol>,
  checker: ts.TypeChecker,
): { sites: number; after: number; compared: number; name?: string } {
  const offsets: string[] = [];
  /** Structs handed to a function in a packet offset (`f(s0)`): it reads their fields there. */
  const offsetStructs = new Set<string>();
  /** Steps of fields; through a function's struct parameter, with the struct passed (`root`) and the call. */
  const found: { x: ts.Node; path: ts.Expression; root?: ts.Identifier; site?: ts.CallExpression }[] = [];
  /** Fields the loop sets to something other than a constant step or a constant. */
  const resets: ts.Expression[] = [];
  /** Operands of the loop's comparisons, and the structs handed to functions in them (`k >= 191 << f(s0)`). */
  const compared: string[] = [];
  const comparedStructs = new Set<string>();
  const stack: ts.Node[] = [loop.statement];
  while (stack.length) {
    const x = stack.pop()!;
    if (ts.isIterationStatement(x, false) || ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isPacketRead(x))
      for (const a of x.arguments) {
        offsets.push(a.getText());
        structsPassed(a, offsetStructs);
      }
    if (ts.isBinaryExpression(x) && K_REL.has(x.operatorToken.kind))
      for (const side of [x.left, x.right]) {
        compared.push(side.getText());
        structsPassed(side, comparedStructs);
      }
    const callee = ts.isCallExpression(x) ? calleeOf(x, checker) : undefined;
    if (callee?.body && ts.isCallExpression(x)) found.push(...paramSteps(callee, x, checker));
    const target = writeTarget(x);
    if (target && (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target))) {
      if (constantStep(x, checker)) found.push({ x, path: target });
      else if (!(ts.isBinaryExpression(x) && constEval(x.right, checker) !== undefined)) resets.push(target);
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  let sites = 0;
  let after = 0;
  let cmp = 0;
  let name: string | undefined;
  for (const { x, path, root: passed, site } of found) {
    const root = passed ?? rootOf(path, checker);
    if (!ts.isIdentifier(root)) continue;
    const d = checker.getSymbolAtLocation(root)?.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || d.end > loop.pos || !d.initializer) continue;
    const init = d.initializer;
    const known =
      ts.isObjectLiteralExpression(init) ||
      (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === "zero");
    if (!known) continue;
    if (!guards(x, loop, site).some((cond) => !readsOnly(cond, counters, checker))) continue;
    // The same field set to data in the loop, maybe through an alias (`const r4: T = t0; r4.a = …`,
    // seed 20261208: loads with 6,002 processed), is unknown at every trip's end: nothing multiplies.
    const field = path.getText().slice(rootOf(path, checker).getText().length);
    if (resets.some((r) => r.getText().slice(rootOf(r, checker).getText().length) === field)) continue;
    const text = root.getText() + field;
    if (offsets.some((o) => o.includes(text)) || offsetStructs.has(root.text)) sites++;
    // Compared, or handed to a function whose result is (seed 20261349: `if (k2 >= 191 << f0(s0))
    // break;` where f0 does `s.a *= (s.b++) & -4`, stepped again on one side of a `switch` on data):
    // the verifier decides the comparison from the exact field, so each count of steps is a state
    // of its own. Reduced to that break and one guarded call, 5 to 25 trips process 838, 3,361,
    // 12,190, 36,622, 130,281 and 344,027; 29 are refused.
    else if (compared.some((o) => o.includes(text)) || comparedStructs.has(root.text)) cmp++;
    else {
      // Read in a packet offset or an index after the loop (through the locals computed from it):
      // the verifier needs it exactly there too (fuzz:cost seed 20261300 #5651: `p.u32a ^= s0.a`
      // into a later loop's packet offset; 14 trips process 274,545, 18 are refused).
      const sym = varSymbol(path, checker);
      if (!sym || !usesExactly(statementsAfter(loop), new Set([sym]), checker, true)) continue;
      after++;
    }
    name ??= text;
  }
  return { sites, after, compared: cmp, name };
}

/** Is `x` an `if (v > C)` (or `>=`, either way round) whose then-branch leaves the loop? */
export function isCeiling(x: ts.Node, v: ts.Symbol, checker: ts.TypeChecker): x is ts.IfStatement {
  if (!ts.isIfStatement(x) || !stops(x.thenStatement)) return false;
  const cc = counterCondition(x.expression, checker);
  return cc !== undefined && cc.sym === v && (cc.op === K.GreaterThanToken || cc.op === K.GreaterThanEqualsToken);
}

/**
 * Is `x` an `if (v + c > b)` (or `>=`, `v > b - c`, either way round) whose then-branch leaves the
 * loop, with `b` no constant and nothing `loop` writes (a length read before it: `if (off + 2 >
 * end) break;` in an IPv4 options walk)?
 */
export function isDataCeiling(x: ts.Node, v: ts.Symbol, loop: ts.IterationStatement, checker: ts.TypeChecker): x is ts.IfStatement {
  if (!ts.isIfStatement(x) || !stops(x.thenStatement)) return false;
  let c = x.expression;
  while (ts.isParenthesizedExpression(c)) c = c.expression;
  if (!ts.isBinaryExpression(c)) return false;
  const op = c.operatorToken.kind;
  let written: Set<ts.Symbol> | undefined;
  for (const [low, high, o] of [
    [c.left, c.right, op],
    [c.right, c.left, op === K.LessThanToken ? K.GreaterThanToken : op === K.LessThanEqualsToken ? K.GreaterThanEqualsToken : undefined],
  ] as const) {
    if (o !== K.GreaterThanToken && o !== K.GreaterThanEqualsToken) continue;
    if (!movedBy(low, v, checker) || constEval(high, checker) !== undefined) continue;
    written ??= loopWrites(loop, checker);
    if ([...written].some((w) => mentions(high, w, checker))) continue;
    return true;
  }
  return false;
}

/** Is `e` `v`, or `v` plus or minus a constant? */
function movedBy(e: ts.Expression, v: ts.Symbol, checker: ts.TypeChecker): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return checker.getSymbolAtLocation(e) === v;
  return (
    ts.isBinaryExpression(e) &&
    (e.operatorToken.kind === K.PlusToken || e.operatorToken.kind === K.MinusToken) &&
    constEval(e.right, checker) !== undefined &&
    movedBy(e.left, v, checker)
  );
}

/** Does `x` end in `break` or `return`? */
const stops = (x: ts.Statement): boolean =>
  ts.isBreakStatement(x) ||
  ts.isReturnStatement(x) ||
  (ts.isBlock(x) && x.statements.length > 0 && stops(x.statements[x.statements.length - 1]!));

/**
 * How many values `sym` can take before `loop` stops on it: an `if (sym >= C) break;` (or return)
 * directly in the body, with sym starting at a constant; Infinity when there is no such exit.
 */
function exitBound(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): number {
  const d = sym.valueDeclaration;
  const start = d && ts.isVariableDeclaration(d) && d.initializer ? constEval(d.initializer, checker) : undefined;
  if (start === undefined || !ts.isBlock(loop.statement)) return Infinity;
  let best = Infinity;
  const visit = (st: ts.Statement): void => {
    if (ts.isBlock(st)) for (const x of st.statements) visit(x);
    else if (ts.isIfStatement(st)) {
      const cc = counterCondition(st.expression, checker);
      if (cc && cc.sym === sym && stops(st.thenStatement)) {
        const span = cc.bound > start ? cc.bound - start : start - cc.bound;
        best = Math.min(best, Number(span) + 2);
      } else {
        visit(st.thenStatement);
        if (st.elseStatement) visit(st.elseStatement);
      }
    }
  };
  visit(loop.statement);
  return best;
}

/**
 * Does a variable of 32 bits or fewer enter `loop` holding its type's whole range (or an unknown
 * start)? Steps wrap and keep that range on every path, so the exits do not differ in it (seed
 * 20261213: a u8 from a u16 field, `++v0` in an inner loop, warned by TSBPF3012 and processed in 918)
 * unless a comparison with a constant splits it (splitByConstant).
 */
export function wholeRangeStart(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const d = sym.valueDeclaration;
  if (!d || !ts.isVariableDeclaration(d) || isGlobal(d)) return false;
  const t = intTypeOf(d.name, checker);
  if (!t || t.bits > 32) return false;
  const { start, rewritten } = startOf(loop, sym, d, checker, true);
  if (rewritten || !start) return false; // may enter exact, or starts at 0
  const r = rangeOf(start, checker);
  if (r && (r[0] > minT(t) || r[1] < maxT(t))) return false;
  if (setsKnown(loop, sym, checker)) return false;
  // Unless a comparison with a constant, in this loop or one around it, splits the range in pieces.
  for (let n: ts.Node | undefined = loop; n && !ts.isFunctionLike(n); n = n.parent)
    if (ts.isIterationStatement(n, false) && splitByConstant(n, sym, checker)) return false;
  return true;
}

/**
 * Does `loop` set `sym` (`=`) to a value built without it from constants and its counters, or to the
 * result of a function that steps a field of the struct it is passed (countedCall: another known
 * value after each call)? The whole range it came in with is gone, and each path knows it exactly
 * (fuzz:cost seed 20261290 #5382: `acc1 = f(s0)` in an inner loop with data exits, `s.b -= 256` in
 * f, acc1 in the enclosing loop's packet offset: refused with no warning).
 */
function setsKnown(loop: ts.IterationStatement, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  const counters = loopCounters(loop, checker);
  const stack: ts.Node[] = [...loopBody(loop, checker)];
  while (stack.length) {
    const x = stack.pop()!;
    if (
      ts.isBinaryExpression(x) &&
      x.operatorToken.kind === K.EqualsToken &&
      isCounterOf(x.left, sym, checker) &&
      !mentions(x.right, sym, checker) &&
      (readsOnly(x.right, counters, checker) || countedCall(x.right, checker))
    )
      return true;
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return false;
}

/**
 * Does the loop around `loop` (`outer`) hold `v` at a known value on every path, and does `loop`
 * order it against a constant or a loop counter? Both sides known, the verifier decides the
 * comparison and needs v exactly, however wide the other values are: v starts at a constant (a
 * local's initializer, or a field of a struct made from a literal or `zero<T>()` before `outer`),
 * and every write of it in `outer` (the functions it calls included) is a constant step (fuzz:cost
 * seed 20261300 #1140: `if (k7 >= (--s0.a)) break;` in an inner loop with a failed packet read's
 * exit, refused at 12 outer trips with an estimate of 7,590).
 */
export function comparedExactly(loop: ts.IterationStatement, outer: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (!constantSteps(outer, v, checker) || !knownStart(outer, v, checker)) return false;
  // loopCounters goes up from `loop`: its counter, `outer`'s and those around them.
  const counters = loopCounters(loop, checker);
  const isV = (e: ts.Expression): boolean => {
    while (ts.isParenthesizedExpression(e) || ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e))
      e = ts.isParenthesizedExpression(e) ? e.expression : e.operand;
    return isCounterOf(e, v, checker);
  };
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (
      ts.isBinaryExpression(x) &&
      K_REL.has(x.operatorToken.kind) &&
      ((isV(x.left) && readsOnly(x.right, counters, checker)) || (isV(x.right) && readsOnly(x.left, counters, checker)))
    )
      return true;
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return false;
}

/**
 * Does `loop` compare its counter, as it is, with an expression of `v` that the verifier may not
 * decide (`k >= (--v) + b`, `k >= (--v) / k`), where the counter offsets a packet read? The verifier
 * keeps such a counter exact, and going back over a comparison of two registers it keeps the other
 * one exact too, down to `v`: each exit holds v's value apart, whatever decides the comparison.
 * (Measured on Linux 6.18: 4 outer trips of 11 inner ones with `if (k >= (--v) + i64(b)) break;`
 * process 516,974; `b > 100 + (--v)`, with no counter in it, 1,452.) For `comparedExactly`'s `v`.
 */
export function counterCompared(
  loop: ts.IterationStatement,
  outer: ts.IterationStatement,
  v: ts.Symbol,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
): boolean {
  // Moved by adds of data too (`acc2 += b4` on each trip beside the compared `acc2 += C`): the
  // ranges the paths hold start at different places and none holds another (33 outer trips refused).
  if (!counter || !(constantSteps(outer, v, checker) || addsOnly(outer, v, checker))) return false;
  if (!(knownStart(outer, v, checker) || narrowDeclared(outer, v, checker))) return false;
  let offsets = false;
  let compared = false;
  const st: ts.Node[] = [loop.statement];
  while (st.length) {
    const x = st.pop()!;
    if (ts.isFunctionLike(x)) continue;
    if (ts.isCallExpression(x) && isPacketRead(x) && x.arguments.some((a) => mentions(a, counter, checker))) offsets = true;
    if (ts.isBinaryExpression(x) && K_REL.has(x.operatorToken.kind)) {
      const l = skipParens(x.left);
      const r = skipParens(x.right);
      if ((isCounterOf(l, counter, checker) && mentions(r, v, checker)) || (isCounterOf(r, counter, checker) && mentions(l, v, checker)))
        compared = true;
    }
    ts.forEachChild(x, (c) => {
      st.push(c);
    });
  }
  return offsets && compared;
}

/** Is every assignment to `v` in `loop` an add or a subtract (`+=`, `-=`; `++` and `--` are no assignment)? */
function addsOnly(loop: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean {
  return writesOf(loop, v, checker).every(
    (x) => !ts.isBinaryExpression(x) || x.operatorToken.kind === K.PlusEqualsToken || x.operatorToken.kind === K.MinusEqualsToken,
  );
}

/**
 * Is `v` a local declared before `outer` in a range narrower than its type (`let acc: i32 =
 * u16(p.x)`)? A constant step moves that range to another, which holds no earlier one: the steps
 * keep the states apart as known values do (differential seed 20261349: 33 outer trips of a
 * one-trip inner loop breaking on `k6 >= ((acc2 += C) | -s0.a)`, refused with no warning).
 */
function narrowDeclared(outer: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean {
  const d = v.valueDeclaration;
  return d !== undefined && ts.isVariableDeclaration(d) && !isGlobal(d) && d.end <= outer.pos && narrowStart(d, undefined, checker);
}

/**
 * Does `v` enter `outer` at a known value: a local declared before it with a constant initializer
 * (or none), or a field whose every write in `outer` is on a struct declared before it from a
 * literal or `zero<T>()` (through a function's struct parameter: the structs its calls pass)?
 */
function knownStart(outer: ts.IterationStatement, v: ts.Symbol, checker: ts.TypeChecker): boolean {
  const d = v.valueDeclaration;
  const before = (x: ts.Node): boolean => x.end <= outer.pos;
  if (d && ts.isVariableDeclaration(d))
    return !isGlobal(d) && before(d) && (!d.initializer || constEval(d.initializer, checker) !== undefined);
  if (!d || !ts.isPropertySignature(d)) return false;
  const madeKnown = (id: ts.Expression | undefined): boolean => {
    const decl = id && ts.isIdentifier(id) ? checker.getSymbolAtLocation(id)?.valueDeclaration : undefined;
    if (!decl || !ts.isVariableDeclaration(decl) || isGlobal(decl) || !before(decl) || !decl.initializer) return false;
    const init = decl.initializer;
    return (
      ts.isObjectLiteralExpression(init) ||
      (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === "zero")
    );
  };
  let roots = 0;
  let ok = true;
  const stack: ts.Node[] = [...loopBody(outer, checker)];
  while (stack.length && ok) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && ts.isPropertyAccessExpression(target) && isCounterOf(target, v, checker)) {
      let root: ts.Expression = target;
      while (ts.isPropertyAccessExpression(root)) root = root.expression;
      const passed = ts.isIdentifier(root) ? argumentsFor(root, outer, checker) : undefined;
      ok = passed ? passed.every(madeKnown) : madeKnown(root);
      roots++;
    }
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok && roots > 0;
}

/** Is every write of `sym` in `st` a step by a constant (`++`, `--`, `+= 3`)? */
export function onlyConstantSteps(st: ts.Node, sym: ts.Symbol, checker: ts.TypeChecker): boolean {
  let ok = true;
  const stack: ts.Node[] = [st];
  while (stack.length && ok) {
    const x = stack.pop()!;
    const target = writeTarget(x);
    if (target && isCounterOf(target, sym, checker)) ok = constantStep(x, checker);
    ts.forEachChild(x, (c) => {
      stack.push(c);
    });
  }
  return ok;
}

/**
 * Does the variable declared by `d` start in a range narrower than its type's (a constant, a mask, a
 * narrower field, a conversion from a narrower type)? With no initializer it starts at 0. A 64-bit
 * variable whose initializer has no integer type the AST shows counts as narrow (its values mostly
 * come from 32-bit or narrower data).
 */
function narrowStart(d: ts.VariableDeclaration, t: IntT | undefined, checker: ts.TypeChecker, start = d.initializer): boolean {
  if (!start) return true;
  let init: ts.Expression = start;
  while (ts.isParenthesizedExpression(init)) init = init.expression;
  const own = t ?? intTypeOf(d.name, checker);
  if (!own) return false;
  if (ts.isCallExpression(init) && isIntCast(init) && init.arguments.length === 1) {
    const inner = intTypeOf(init.arguments[0]!, checker);
    if (inner && inner.bits < own.bits) return true;
  }
  const r = rangeOf(init, checker);
  if (r) return r[0] > minT(own) || r[1] < maxT(own);
  return own.bits === 64;
}

/**
 * A variable that a loop with early exits leaves at a different known value after each trip, and
 * that code after the loop needs exactly: it starts at one value, every write in the loop computes
 * it from itself, the loop's counters and constants (`n = n * 3 + 1`, `n++`), and a comparison, an
 * offset, an index or a key after the loop reads it. The exits do not prune each other, and each
 * walks the rest of the function (measured: 40 trips with a break on a packet byte, then a 30-trip
 * packet loop at an offset from `n`: 19,449 processed, where one walk of the rest costs about 500).
 * Returns the variable's name, for the warning, and where the code that needs it ends.
 */
export function exactExitVar(
  loop: ts.IterationStatement,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
): { name: string; until: number } | undefined {
  const counters = loopCounters(loop, checker);
  for (const v of loopWrites(loop, checker)) {
    if (v === counter || counters.has(v)) continue;
    const d = v.valueDeclaration;
    if (!d || !ts.isVariableDeclaration(d) || (d.pos >= loop.pos && d.end <= loop.end) || isGlobal(d)) continue;
    const { start, rewritten } = startOf(loop, v, d, checker);
    const init = rewritten ? undefined : start ? rangeOf(start, checker) : [0n, 0n];
    if (!init || init[0] !== init[1]) continue;
    const known = new Set([v, ...counters, ...pinned(loop, checker)]);
    let exact = true;
    const stack: ts.Node[] = [loop.statement];
    while (stack.length && exact) {
      const x = stack.pop()!;
      const target = writeTarget(x);
      if (target && isCounterOf(target, v, checker) && ts.isBinaryExpression(x)) exact = readsOnly(x.right, known, checker);
      ts.forEachChild(x, (c) => {
        stack.push(c);
      });
    }
    // Exact at every exit, so no keepsRange question (preciseAfter's): only whether later code needs it.
    const after = statementsAfter(loop, d);
    if (!exact || !usesExactly(after, new Set([v]), checker, false)) continue;
    // Past the statement of its last use, v is dead: the exits' states prune again there.
    let until = loop.end;
    for (const st of after) if (st.end > until && mentions(st, v, checker)) until = st.end;
    return { name: v.name, until };
  }
  return undefined;
}

/**
 * Locals a loop's body pins to one value for the rest of the trip: `if (x !== C) break;` (or
 * continue, return) at the top of the body (seed 20261219: `if (b2 !== 1) break;` before
 * `acc0 = acc0 * 31 + b2`).
 */
function pinned(loop: ts.IterationStatement, checker: ts.TypeChecker): ts.Symbol[] {
  const out: ts.Symbol[] = [];
  const body = ts.isBlock(loop.statement) ? loop.statement.statements : [loop.statement];
  for (const st of body) {
    if (!ts.isIfStatement(st) || st.elseStatement) continue;
    const then = soleStatement(st.thenStatement);
    if (!ts.isBreakStatement(then) && !ts.isContinueStatement(then) && !ts.isReturnStatement(then)) continue;
    const cc = counterCondition(st.expression, checker);
    if (cc && (cc.op === K.ExclamationEqualsEqualsToken || cc.op === K.ExclamationEqualsToken)) out.push(cc.sym);
  }
  return out;
}

/**
 * What `sym` holds when `loop` starts: the right side of the last `sym = e;` among the statements
 * before the loop in its block (the fuzzer's `let v0 = …; v0 = u16(gr);`), else its initializer
 * (undefined when it has none: it starts at 0). `rewritten` when the last write before the loop is
 * of another kind (inside an earlier loop, an `if`, an expression): the initializer is then only a
 * guess at the type's range, and the value may enter exact. This feeds a warning's estimate only.
 */
function startOf(
  loop: ts.IterationStatement,
  sym: ts.Symbol,
  d: ts.VariableDeclaration,
  checker: ts.TypeChecker,
  wraps = false,
): { start: ts.Expression | undefined; rewritten: boolean } {
  // Back from the loop through the statements before it, then before each enclosing `if` or block
  // (they run before the loop on every path to it; seed 20261216's `v0 = ...` precedes the `if`
  // holding the loop), up to the declaration; not out of an enclosing loop or function.
  let node: ts.Node = loop;
  for (;;) {
    let up = node.parent;
    while (ts.isIfStatement(up)) (node = up), (up = up.parent);
    if (!ts.isBlock(up)) break;
    const stmts = up.statements;
    for (let i = stmts.indexOf(node as ts.Statement) - 1; i >= 0; i--) {
      const st = stmts[i]!;
      if (st.pos <= d.pos && d.end <= st.end) return { start: d.initializer, rewritten: false };
      if (!writes(st, sym, checker)) continue;
      // `wraps`: constant steps (`-(acc1++)`) move a whole range around itself; look past them.
      if (wraps && onlyConstantSteps(st, sym, checker)) continue;
      const e = ts.isExpressionStatement(st) ? st.expression : undefined;
      if (e && ts.isBinaryExpression(e) && e.operatorToken.kind === K.EqualsToken && isCounterOf(e.left, sym, checker))
        return { start: e.right, rewritten: false };
      return { start: d.initializer, rewritten: true };
    }
    node = up;
  }
  return { start: d.initializer, rewritten: false };
}

/** `counter >= v` and its mirrors: the comparisons true once the counter reaches v. */
const REACHES: ReadonlyMap<ts.SyntaxKind, "left" | "right" | "either"> = new Map([
  [K.GreaterThanEqualsToken, "left"],
  [K.GreaterThanToken, "left"],
  [K.LessThanEqualsToken, "right"],
  [K.LessThanToken, "right"],
  [K.EqualsEqualsEqualsToken, "either"],
  [K.EqualsEqualsToken, "either"],
]);

/**
 * A value an early exit of `loop` compares with its counter, which code after the loop adds to a
 * packet offset or an index: `if (j >= len) break;` with `len` a local read from data before the
 * loop and not changed in it, then `off += 2 + len` in the loop around: its name. The trips that go
 * on learn `len > j`, so the exit after trip j knows `len === j`, one exact value per exit, and each
 * walks the next trips of the loop around (measured: 3 TLVs of up to 16 bytes process 44,024; 3 of
 * 32, 911,369). A packet reference's value, loaded afresh at each use (`const l =
 * ctx.header<u8>(off)`), knows nothing of the comparison and is not counted: since packet-rebase,
 * 16 DNS labels of up to 63 bytes process 32,886 (before it, 8 processed 751,236 and 16 were refused).
 */
export function exitCompared(
  loop: ts.IterationStatement,
  counter: ts.Symbol | undefined,
  checker: ts.TypeChecker,
): { name: string; symbol: ts.Symbol } | undefined {
  if (!counter) return undefined;
  const written = loopWrites(loop, checker);
  const body = ts.isBlock(loop.statement) ? loop.statement.statements : [loop.statement];
  for (const st of body) {
    if (!ts.isIfStatement(st) || st.elseStatement || !ts.isBreakStatement(soleStatement(st.thenStatement))) continue;
    const c = bare(st.expression);
    const side = ts.isBinaryExpression(c) ? REACHES.get(c.operatorToken.kind) : undefined;
    if (!ts.isBinaryExpression(c) || !side) continue;
    const pairs: [ts.Expression, ts.Expression][] =
      side === "left"
        ? [[c.left, c.right]]
        : side === "right"
          ? [[c.right, c.left]]
          : [
              [c.left, c.right],
              [c.right, c.left],
            ];
    for (const [ce, ve] of pairs) {
      const cid = bare(ce);
      const vid = bare(ve);
      if (!ts.isIdentifier(cid) || checker.getSymbolAtLocation(cid) !== counter || !ts.isIdentifier(vid)) continue;
      const v = checker.getSymbolAtLocation(vid);
      const d = v?.valueDeclaration;
      if (!v || !d || !ts.isVariableDeclaration(d) || !d.initializer || isGlobal(d) || written.has(v) || within(d, loop)) continue;
      const init = bare(d.initializer);
      if (ts.isCallExpression(init) && isPacketRead(init)) continue;
      const r = rangeOf(d.initializer, checker);
      if (r && r[0] === r[1]) continue;
      if (exactlyAfter(loop, new Set([v]), d, checker, true)) return { name: v.name, symbol: v };
    }
  }
  return undefined;
}

/** `e` without parentheses and integer casts. */
function bare(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e)) e = e.expression;
    else if (ts.isCallExpression(e) && isIntCast(e) && e.arguments.length === 1) e = e.arguments[0]!;
    else return e;
  }
}
