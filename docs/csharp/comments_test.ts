/**
 * The C# files are copied into the bot's project, where their comments are all a reader has to find the
 * checks behind them: a repository path they name must exist (CandlecastFeatures.cs named
 * features/csharp_parity_test.ts, which never did; the check is docs/csharp/features_parity_test.ts).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

Deno.test("every repository path a C# file's comments name exists", async () => {
  const named: string[] = [];
  for await (const entry of Deno.readDir(here)) {
    if (!entry.isFile || !entry.name.endsWith(".cs")) continue;
    const text = await Deno.readTextFile(join(here, entry.name));
    for (const line of text.split("\n")) {
      const comment = line.match(/\/\/(.*)$/)?.[1] ?? "";
      // Paths with a folder (features/engineer.ts), read from the repository's root.
      for (const [path] of comment.matchAll(/\b[\w-]+(?:\/[\w.-]+)+\.(?:ts|md|cs)\b/g)) {
        named.push(path);
        assert.ok(existsSync(join(root, path)), `${entry.name} names ${path}, which does not exist`);
      }
    }
  }
  assert.ok(named.includes("docs/csharp/features_parity_test.ts"), named.join(", "));
});
