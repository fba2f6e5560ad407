// Struct copies (locals, fields), offsetof/sizeof, user enums and constant objects.
import { xdp, XdpAction, ArrayMap, offsetof, sizeof, u64, type u8, type u16, type u32 } from "tsbpf/bpf";

enum Color {
  Red = 1,
  Green = 2,
  Blue = 4,
}

const PORTS = { HTTP: 80, HTTPS: 443 } as const;

interface Point {
  x: u32;
  y: u32;
}

interface Shape {
  tag: u8;
  origin: Point;
  size: u16;
  corner: Point;
}

const shapes = new ArrayMap<Shape>(2);
const results = new ArrayMap<u64>(8);

export const structs_consts = xdp((ctx) => {
  const a: Point = { x: ctx.len, y: 7 };
  let b: Point = { x: 0, y: 0 };
  b = a; // copy
  a.x = 1; // does not change b
  const s = shapes.lookup(0);
  if (s !== null) {
    s.origin = b; // struct field copy
    s.corner = s.origin;
    s.corner.y = 99;
    s.tag = Color.Blue | Color.Red;
  }
  results.update(0, b.x);
  results.update(1, u64(offsetof<Shape>("corner")) * 1000 + sizeof<Shape>());
  results.update(2, PORTS.HTTPS - PORTS.HTTP);
  return XdpAction.PASS;
});

export const LICENSE = "GPL";
