/// <reference no-default-lib="true"/>
// The only globals a .bpf.ts file sees. TypeScript requires these ten interfaces to exist; they are
// declared empty so that strings, arrays, regular expressions and the rest of the JavaScript library
// do not type-check inside BPF code (the kernel has none of them).

interface Array<T> {
  length: number;
  [n: number]: T;
}
interface Boolean {}
interface CallableFunction {}
interface Function {}
interface IArguments {}
interface NewableFunction {}
interface Number {}
interface Object {}
interface RegExp {}
interface String {}
