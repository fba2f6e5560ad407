// Maps TypeScript types to tsbpf's memory types: integers by their stdlib alias (u8 ... i64, bool),
// interfaces and type literals to C-layout structs, FixedArray<T, N> to arrays. Results are cached
// per ts.Type so every use of one interface shares one CStruct (and one BTF type).

import { INT_TYPES, layoutStruct, sizeOf, type CType, type CInt, type IntName } from "../../common/ctypes.js";
import { STDLIB_LAYOUTS } from "./program-kinds.js";
import { ts } from "./ts-adapter.js";

const INT_NAMES = new Set(Object.keys(INT_TYPES));

export class TypeMapper {
  private readonly cache = new Map<ts.Type, CType | null>();

  constructor(private readonly checker: ts.TypeChecker) {}

  /** The integer type a TS type denotes, or undefined when it is not one of ours. */
  intOf(t: ts.Type): CInt | undefined {
    const alias = t.aliasSymbol?.getName();
    if (alias && INT_NAMES.has(alias) && this.isStdlibSymbol(t.aliasSymbol!)) return INT_TYPES[alias as IntName];
    if (t.flags & ts.TypeFlags.BooleanLike) return INT_TYPES.bool;
    // An intersection `number & { __int?: ... }` that lost its alias: read the brand's widest member.
    if (t.isIntersection()) {
      const brand = t.types.find((x) => x.getProperty("__int"));
      const prop = brand?.getProperty("__int");
      if (prop) {
        const names = this.literalNames(this.checker.getTypeOfSymbol(prop));
        return widestBrand(names);
      }
    }
    if (t.flags & ts.TypeFlags.EnumLike) return INT_TYPES.i32; // C enums are int
    return undefined;
  }

  /** C layout of a TS type usable in memory (map keys/values, struct fields), or null. */
  memType(t: ts.Type): CType | null {
    if (this.cache.has(t)) return this.cache.get(t)!;
    const i = this.intOf(t);
    if (i) return i;
    this.cache.set(t, null); // recursion guard
    let result: CType | null = null;
    const sym = t.aliasSymbol ?? t.getSymbol();
    const fixed =
      sym && Object.hasOwn(STDLIB_LAYOUTS, sym.getName()) && this.isStdlibSymbol(sym) ? STDLIB_LAYOUTS[sym.getName()] : undefined;
    if (fixed) result = fixed;
    else if (sym?.getName() === "FixedArray" && this.isStdlibSymbol(sym)) {
      const args = this.typeArgs(t);
      if (args.length === 2) {
        const elem = this.memType(args[0]);
        const len = args[1].isNumberLiteral() ? args[1].value : undefined;
        // BTF sizes are u32 and the kernel takes at most INT_MAX bytes anywhere (found by the hostile
        // fuzzer: FixedArray<u32, 18446744073709551615> made a map the kernel refused, a global crashed).
        if (elem && len !== undefined && Number.isInteger(len) && len > 0 && len * sizeOf(elem) <= 0x7fffffff)
          result = { kind: "array", elem, len };
      }
    } else if (t.flags & ts.TypeFlags.Object && !(t.getCallSignatures().length > 0)) {
      const fields: { name: string; type: CType }[] = [];
      let ok = true;
      for (const p of this.checker.getPropertiesOfType(t)) {
        const pt = this.checker.getTypeOfSymbol(p);
        const ft = this.memType(pt);
        if (!ft) {
          ok = false;
          break;
        }
        fields.push({ name: p.getName(), type: ft });
      }
      const name = t.getSymbol()?.getName();
      if (ok && fields.length > 0) result = layoutStruct(name && name !== "__type" && name !== "__object" ? name : "", fields);
    }
    this.cache.set(t, result);
    return result;
  }

  typeArgs(t: ts.Type): readonly ts.Type[] {
    if (t.aliasTypeArguments) return t.aliasTypeArguments;
    if ((t as ts.TypeReference).target) return this.checker.getTypeArguments(t as ts.TypeReference);
    return [];
  }

  /** Declared in our stdlib (so a user's own `type u8 = ...` is not mistaken for ours). */
  isStdlibSymbol(sym: ts.Symbol): boolean {
    const d = sym.declarations?.[0];
    return !!d && /stdlib[\\/](bpf|globals)\.d\.ts$/.test(d.getSourceFile().fileName);
  }

  private literalNames(t: ts.Type): string[] {
    const parts = t.isUnion() ? t.types : [t];
    return parts.filter((p) => p.isStringLiteral()).map((p) => (p as ts.StringLiteralType).value);
  }
}

function widestBrand(names: string[]): CInt | undefined {
  const order: IntName[] = ["u64", "i64", "u32", "i32", "u16", "i16", "u8", "i8"];
  // A signed type's brand also lists the narrower unsigned types it can hold; the signed one wins.
  const signed = names.filter((n) => n.startsWith("i")) as IntName[];
  const pool = signed.length ? signed : (names as IntName[]);
  for (const o of order) if (pool.includes(o)) return INT_TYPES[o];
  return undefined;
}
