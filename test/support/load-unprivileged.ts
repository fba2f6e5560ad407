// Child process for test/permissions.test.ts: loads an object with whatever capabilities it was
// started with and prints the outcome and the fd count before and after, as one line of JSON.
import { readdirSync } from "node:fs";
import { loadObject } from "../../runtime/index.js";

const fds = () => readdirSync("/proc/self/fd").length;
const before = fds();
let outcome: { ok: boolean; name?: string; message?: string };
try {
  loadObject(process.argv[2]).close();
  outcome = { ok: true };
} catch (e) {
  outcome = { ok: false, name: (e as Error).name, message: (e as Error).message };
}
console.log(JSON.stringify({ ...outcome, leaked: fds() - before }));
