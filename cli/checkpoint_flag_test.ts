import assert from "node:assert/strict";
import { join } from "node:path";
import { runCliCaptured } from "../test/cli.ts";
import { requireCheckpoint } from "./checkpoint_flag.ts";

Deno.test("a version's bare name where its folder is meant: the hint names the folder of that name", async () => {
  const root = await Deno.makeTempDir();
  const cwd = Deno.cwd();
  try {
    await Deno.mkdir(join(root, "checkpoints", "v3_2026-11-24"), { recursive: true });
    await Deno.mkdir(join(root, "store", "v1_2026-12-05"), { recursive: true });
    // Before: "train one with 'candlecast train', or see 'candlecast models list'", which lists that very name.
    Deno.chdir(root);
    await assert.rejects(() => requireCheckpoint("--checkpoint", "v3_2026-11-24"), (error: Error) => {
      assert.equal(error.message, "--checkpoint: v3_2026-11-24 does not exist");
      assert.equal(
        (error as Error & { hint?: string }).hint,
        "--checkpoint takes a version's folder, not its name: did you mean --checkpoint checkpoints/v3_2026-11-24?",
      );
      return true;
    });
    // A name with no such folder keeps the old hint.
    await assert.rejects(
      () => requireCheckpoint("--checkpoint", "v9_2026-11-24"),
      (error: Error & { hint?: string }) => /^train one with 'candlecast train'/.test(error.hint ?? ""),
    );
    // train --config-from looks in its own --checkpoints.
    const r = await runCliCaptured([
      "train",
      "--data",
      "missing.csv",
      "--checkpoints",
      "store",
      "--config-from",
      "v1_2026-12-05",
    ]);
    assert.equal(r.code, 2, r.err);
    assert.equal(
      r.err,
      "candlecast: --config-from: v1_2026-12-05 does not exist\n" +
        "hint: --config-from takes a version's folder, not its name: did you mean --config-from " +
        "store/v1_2026-12-05?\n",
    );
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(root, { recursive: true });
  }
});
