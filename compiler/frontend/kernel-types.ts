// What the compiler knows about kernel types: the `@btf` tags `tsbpf vmlinux` writes into
// vmlinux.d.ts (compiler/btf-to-ts/emit-dts.ts documents them), turned into the local BTF types CO-RE
// relocations refer to, and into "views": CStruct keys that stand for "struct S, reached from a root
// struct R through this member path" so a kernel reference fits the front end's RefVal/NullableVal.

import type { CStruct } from "../../common/ctypes.js";
import type { KMember, KType } from "../object/core-relo.js";
import { ts } from "./ts-adapter.js";

type KComposite = Extract<KType, { kind: "struct" | "union" }>;
type KEnum = Extract<KType, { kind: "enum" }>;

/** A kernel struct as a program sees it: the root of a relocation and the path to this sub-struct. */
export interface KernelView {
  /** The struct or union relocations start from (the type the pointer points to). */
  root: KComposite;
  /** Member indices in the local types from the root (libbpf's access string after the leading 0). */
  access: number[];
  /** Bit offset of this sub-struct in the root, as compiled. */
  bitOffset: number;
  /** The local type at this point of the path. */
  local: KComposite;
  /** The TS type of the struct here (an interface of vmlinux.d.ts or an inline type literal). */
  ts: ts.Type;
}

/** A member's place: the `@btf` tag of its declaration. */
export interface MemberTag {
  /** `anon`: the member's type is an anonymous struct/union of this kind and size. */
  steps: { index: number; bitOffset: number; anon?: { kind: "struct" | "union"; size: number } }[];
  bits: number;
}

/** `@btf struct <name> <size>` (or union/enum) on a declaration. */
export interface TypeTag {
  kind: "struct" | "union" | "enum";
  name: string;
  size: number;
  signed: boolean;
  /** The TS name: tells anonymous C types (typedef'd `struct { ... } atomic_t`) apart. */
  key: string;
}

export class KernelTypes {
  private readonly composites = new Map<string, KComposite>();
  private readonly enums = new Map<string, KEnum>();
  /** Members of each local composite by key (name, or "#<index>" for an anonymous member). */
  private readonly memberKeys = new WeakMap<KType, Map<string, number>>();
  private readonly views = new WeakMap<CStruct, KernelView>();
  private readonly viewKeys = new Map<string, CStruct>();

  constructor(private readonly checker: ts.TypeChecker) {}

  /** The @btf tag of a declaration node, if any. */
  static tagText(node: ts.Node | undefined): string | undefined {
    if (!node) return undefined;
    for (const t of ts.getJSDocTags(node)) {
      if (t.tagName.text === "btf") return (ts.getTextOfJSDocComment(t.comment) ?? "").trim();
    }
    return undefined;
  }

  /** The struct/union/enum tag on the declaration of a TS type (undefined: not a kernel type). */
  typeTag(t: ts.Type): TypeTag | undefined {
    const sym = t.aliasSymbol ?? t.getSymbol();
    for (const d of sym?.declarations ?? []) {
      const text = KernelTypes.tagText(d);
      if (!text) continue;
      const [kind, name, size, signed] = text.split(/\s+/);
      if (kind !== "struct" && kind !== "union" && kind !== "enum") continue;
      return { kind, name: name === "-" ? "" : name, size: Number(size), signed: signed === "signed", key: sym!.getName() };
    }
    return undefined;
  }

  /** The local BTF type of a named struct or union (one per C name in the object). */
  composite(tag: TypeTag): KComposite {
    const key = `${tag.kind} ${tag.name || `(anonymous ${tag.key})`}`;
    let c = this.composites.get(key);
    if (!c) {
      c = { kind: tag.kind === "union" ? "union" : "struct", name: tag.name, size: tag.size, members: [] };
      this.composites.set(key, c);
    }
    return c;
  }

  /** The local BTF enum of an enum tag. */
  enumType(tag: TypeTag): KEnum {
    let e = this.enums.get(tag.name);
    if (!e) {
      e = { kind: "enum", name: tag.name, size: tag.size, signed: tag.signed, values: [] };
      this.enums.set(tag.name, e);
    }
    return e;
  }

  /** Index of enumerator `name` in the local enum (added on first use). */
  enumValueIndex(e: KEnum, name: string, value: bigint): number {
    const i = e.values.findIndex((v) => v.name === name);
    if (i >= 0) return i;
    e.values.push({ name, value });
    return e.values.length - 1;
  }

  /** Index of a member in a local composite, added on first use (indices stay stable). */
  memberIndex(c: KComposite, key: string, make: () => KMember): number {
    let keys = this.memberKeys.get(c);
    if (!keys) this.memberKeys.set(c, (keys = new Map()));
    const hit = keys.get(key);
    if (hit !== undefined) return hit;
    c.members.push(make());
    keys.set(key, c.members.length - 1);
    return c.members.length - 1;
  }

  /** The CStruct key of a view (the same object for the same root and path). */
  view(v: KernelView): CStruct {
    const key = `${v.root.kind} ${v.root.name}|${v.access.join(":")}|${this.checker.typeToString(v.ts)}`;
    let s = this.viewKeys.get(key);
    if (!s) {
      // No fields: generic field access cannot see into it; lower-kernel.ts handles kernel regions.
      s = { kind: "struct", name: v.root.name, fields: [], size: 0, align: 8 };
      this.viewKeys.set(key, s);
      this.views.set(s, v);
    }
    return s;
  }

  viewOf(s: unknown): KernelView | undefined {
    return this.views.get(s as CStruct);
  }

  /** The view of a root struct (what a kernel pointer points to), or undefined when `t` is not one. */
  rootView(t: ts.Type): CStruct | undefined {
    const tag = this.typeTag(t);
    if (!tag || tag.kind === "enum") return undefined;
    const root = this.composite(tag);
    return this.view({ root, access: [], bitOffset: 0, local: root, ts: t });
  }
}

/** Parses a member tag: "62@19712", "0@0:union:8/1@8", "77@9539 bits=1". */
export function parseMemberTag(text: string): MemberTag | undefined {
  const m = /^([0-9a-z@/:]+)(?:\s+bits=(\d+))?$/.exec(text);
  if (!m) return undefined;
  const steps: MemberTag["steps"] = [];
  for (const s of m[1].split("/")) {
    const sm = /^(\d+)@(\d+)(?::(struct|union):(\d+))?$/.exec(s);
    if (!sm) return undefined;
    steps.push({
      index: Number(sm[1]),
      bitOffset: Number(sm[2]),
      anon: sm[3] ? { kind: sm[3] as "struct" | "union", size: Number(sm[4]) } : undefined,
    });
  }
  return { steps, bits: m[2] ? Number(m[2]) : 0 };
}

const registries = new WeakMap<ts.TypeChecker, KernelTypes>();

/** One registry per compilation (all programs of a module share one .BTF). */
export function kernelTypes(checker: ts.TypeChecker): KernelTypes {
  let k = registries.get(checker);
  if (!k) registries.set(checker, (k = new KernelTypes(checker)));
  return k;
}
