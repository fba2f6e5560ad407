#!/usr/bin/env node
// Entry point of the `tsbpf` command; the compiler is built into dist/ by `npm install` (prepare).
import { main } from "../dist/compiler/tools/cli.js";

process.exitCode = await main(process.argv.slice(2));
