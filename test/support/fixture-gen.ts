// Regenerates the generated fixtures in test/fixtures/ (arith-<type>.bpf.ts and the table-driven
// ones) from their templates: `npx tsx test/support/fixture-gen.ts`.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFixtures } from "./fixture-generated.js";

const dir = join(fileURLToPath(new URL(".", import.meta.url)), "..", "fixtures");
for (const [file, text] of generatedFixtures()) {
  writeFileSync(join(dir, file), text);
  console.log(`wrote test/fixtures/${file}`);
}
