// tsbpf's hints for errors that tsc itself reports, where tsc's message does not say what to do in
// a .bpf.ts file. Keyed by tsc's numeric code.

export const TSC_HINTS: Readonly<Record<number, string>> = {
  // tsc gives up on control-flow analysis (narrowing) when a walk back through one function body
  // passes about 2,000 branch points, e.g. a program body of thousands of lines of `if`s.
  2563:
    "split the long body into functions: ordinary functions are inlined (no calls in the object), " +
    "`/** @noinline */` ones become BPF subprograms; tsc analyses each function body on its own",
};
