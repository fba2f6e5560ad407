// The default optimisation pipeline, in order. Each entry is a named pass (see pass-manager.ts);
// names are what --dump-ir=<pass> takes (a name that occurs twice dumps after each occurrence).
//
// Order: const-fold first (folds branches, so whole regions disappear), dce to drop what it left,
// simplify-cfg to merge straight-line blocks (turning single-incoming phis into plain values and
// exposing more constants), then const-fold/dce again on the merged code and a final
// simplify-cfg + dce to remove blocks emptied by the second round. tail-merge runs once the CFG is
// clean and returns are merged (identical tails then also end in the same blocks); load-cse after
// it, since reusing a predecessor's load would make otherwise identical tails differ, and cse once
// more for what computes on the reused loads (`ntohs(udp.dest)` twice).
// suffix-merge right after tail-merge shares the common ends tail-merge's whole-block test misses,
// and hoist-common then computes once above a branch what several arms compute alike;
// if-convert before range-fold, so the guards of the packet offsets it changes are judged on the new code;
// fill-in-place before dead-stack-store (whose zeroing stores it makes dead), same-stack-store after;
// eq-prop and bit-fold last, then const-fold/simplify-cfg/dce once more for what the known
// constants fold (eq-prop needs load-cse's reuse of an already tested load); packet-rebase after
// the last cse, which would merge its fresh `data` reads back into the function's; hoist-packet-loads
// after it, once the loops' own `data` uses are settled (it moves loads of the function's `data`);
// step-floor after every fold, which would drop its masks as identities; sign-mask too, which would
// turn its multiplies back into masks.

import { constFold } from "./const-fold.js";
import { dce } from "./dce.js";
import type { Pass } from "./pass-manager.js";
import { simplifyCfg } from "./simplify-cfg.js";
import { threadNullChecks } from "./thread-null-checks.js";
import { mergeReturns } from "./merge-returns.js";
import { cse } from "./cse.js";
import { tailMerge } from "./tail-merge.js";
import { loadCse } from "./load-cse.js";
import { rangeFold } from "./range-fold.js";
import { licm } from "./licm.js";
import { addrFold } from "./addr-fold.js";
import { narrowStore } from "./narrow-store.js";
import { ivMerge } from "./iv-merge.js";
import { deadStackStore } from "./dead-stack-store.js";
import { loopSr } from "./loop-sr.js";
import { loopPreheader } from "./loop-preheader.js";
import { redundantPhi } from "./redundant-phi.js";
import { suffixMerge } from "./suffix-merge.js";
import { eqProp } from "./eq-prop.js";
import { sameStackStore } from "./same-stack-store.js";
import { fillInPlace } from "./fill-in-place.js";
import { bitFold } from "./bit-fold.js";
import { hoistCommon } from "./hoist-common.js";
import { ifConvert } from "./if-convert.js";
import { packetRebase } from "./packet-rebase.js";
import { hoistPacketLoads } from "./hoist-packet-loads.js";
import { stepFloor } from "./step-floor.js";
import { signMask } from "./sign-mask.js";

export const constFoldPass: Pass = { name: "const-fold", run: constFold };
export const dcePass: Pass = { name: "dce", run: dce };
export const simplifyCfgPass: Pass = { name: "simplify-cfg", run: simplifyCfg };
export const threadNullChecksPass: Pass = { name: "thread-null-checks", run: threadNullChecks };
export const mergeReturnsPass: Pass = { name: "merge-returns", run: mergeReturns };
export const csePass: Pass = { name: "cse", run: cse };
export const tailMergePass: Pass = { name: "tail-merge", run: tailMerge };
export const loadCsePass: Pass = { name: "load-cse", run: loadCse };
export const rangeFoldPass: Pass = { name: "range-fold", run: rangeFold };
export const licmPass: Pass = { name: "licm", run: licm };
export const addrFoldPass: Pass = { name: "addr-fold", run: addrFold };
export const narrowStorePass: Pass = { name: "narrow-store", run: narrowStore };
export const ivMergePass: Pass = { name: "iv-merge", run: ivMerge };
export const deadStackStorePass: Pass = { name: "dead-stack-store", run: deadStackStore };
export const loopSrPass: Pass = { name: "loop-sr", run: loopSr };
export const loopPreheaderPass: Pass = { name: "loop-preheader", run: loopPreheader };
export const redundantPhiPass: Pass = { name: "redundant-phi", run: redundantPhi };
export const suffixMergePass: Pass = { name: "suffix-merge", run: suffixMerge };
export const eqPropPass: Pass = { name: "eq-prop", run: eqProp };
export const sameStackStorePass: Pass = { name: "same-stack-store", run: sameStackStore };
export const fillInPlacePass: Pass = { name: "fill-in-place", run: fillInPlace };
export const bitFoldPass: Pass = { name: "bit-fold", run: bitFold };
export const hoistCommonPass: Pass = { name: "hoist-common", run: hoistCommon };
export const ifConvertPass: Pass = { name: "if-convert", run: ifConvert };
export const packetRebasePass: Pass = { name: "packet-rebase", run: packetRebase };
export const hoistPacketLoadsPass: Pass = { name: "hoist-packet-loads", run: hoistPacketLoads };
export const stepFloorPass: Pass = { name: "step-floor", run: stepFloor };
export const signMaskPass: Pass = { name: "sign-mask", run: signMask };

/** Every pass by name, for CLI options that pick passes. */
export const passesByName: ReadonlyMap<string, Pass> = new Map(
  [
    constFoldPass,
    dcePass,
    simplifyCfgPass,
    threadNullChecksPass,
    mergeReturnsPass,
    csePass,
    tailMergePass,
    loadCsePass,
    rangeFoldPass,
    licmPass,
    addrFoldPass,
    narrowStorePass,
    ivMergePass,
    deadStackStorePass,
    loopSrPass,
    loopPreheaderPass,
    redundantPhiPass,
    suffixMergePass,
    eqPropPass,
    sameStackStorePass,
    fillInPlacePass,
    bitFoldPass,
    hoistCommonPass,
    ifConvertPass,
    packetRebasePass,
    hoistPacketLoadsPass,
    stepFloorPass,
    signMaskPass,
  ].map((p) => [p.name, p] as const),
);

export const defaultPipeline: readonly Pass[] = [
  constFoldPass,
  redundantPhiPass,
  dcePass,
  threadNullChecksPass,
  simplifyCfgPass,
  csePass,
  ivMergePass,
  ifConvertPass,
  rangeFoldPass,
  loopPreheaderPass,
  licmPass,
  loopSrPass,
  constFoldPass,
  dcePass,
  simplifyCfgPass,
  mergeReturnsPass,
  tailMergePass,
  suffixMergePass,
  hoistCommonPass,
  simplifyCfgPass,
  addrFoldPass,
  narrowStorePass,
  fillInPlacePass,
  deadStackStorePass,
  sameStackStorePass,
  loadCsePass,
  csePass,
  dcePass,
  eqPropPass,
  constFoldPass,
  bitFoldPass,
  constFoldPass,
  packetRebasePass,
  hoistPacketLoadsPass,
  stepFloorPass,
  signMaskPass,
  simplifyCfgPass,
  dcePass,
];

export { runPasses, runPassesOnModule, IrCheckError, type Pass, type RunOptions } from "./pass-manager.js";

/** Alias of defaultPipeline (the name compile.ts uses). */
export const defaultPasses: readonly Pass[] = defaultPipeline;
