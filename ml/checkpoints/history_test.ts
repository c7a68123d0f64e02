import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointStoreError } from "./errors.ts";
import { damagedHistoryError, readHistoryFile, writeHistory } from "./history.ts";

Deno.test("a .current_history.json that is empty, cut short or of the wrong type reads as damaged, saying how", async () => {
  // Before: each read as an empty history, and `models rollback` said "there is no earlier version to roll back
  // to", naming no file.
  const root = await Deno.makeTempDir({ prefix: "candlecast-history-" });
  const path = join(root, ".current_history.json");
  try {
    assert.deepEqual(await readHistoryFile(root), { previous: [], served: [] }, "none: no damage");
    await writeHistory(root, { previous: ["v1_2026-01-01", "v2_2026-01-08"], served: ["v1_2026-01-01"] });
    const whole = await Deno.readTextFile(path);
    assert.deepEqual(await readHistoryFile(root), {
      previous: ["v1_2026-01-01", "v2_2026-01-08"],
      served: ["v1_2026-01-01", "v2_2026-01-08"],
    });
    // Written before `served` was recorded: whole.
    await Deno.writeTextFile(path, JSON.stringify({ previous: ["v1_2026-01-01"] }));
    assert.equal((await readHistoryFile(root)).damaged, undefined);
    const cases: [string, string, string[]][] = [
      ["", "it is empty", []],
      [whole.slice(0, 20), "it is not JSON: cut short or overwritten", []],
      ['["v1_2026-01-01"]', "it holds no list of versions", []],
      ['"v1_2026-01-01"', "it holds no list of versions", []],
      ["null", "it holds no list of versions", []],
      ["{}", "its previous is no list of version names", []],
      ['{"previous": "v1_2026-01-01"}', "its previous is no list of version names", []],
      ['{"previous": ["v1_2026-01-01", 2]}', "its previous is no list of version names", ["v1_2026-01-01"]],
      ['{"previous": ["v1_2026-01-01"], "served": 3}', "its served is no list of version names", [
        "v1_2026-01-01",
      ]],
    ];
    for (const [text, damaged, previous] of cases) {
      await Deno.writeTextFile(path, text);
      const read = await readHistoryFile(root);
      assert.equal(read.damaged, damaged, text);
      // What of it is whole is still read: a rollback that finds a target there takes it.
      assert.deepEqual(read.previous, previous, text);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a damaged history is said naming the file, with the promote that starts a new one", () => {
  const error = damagedHistoryError("/srv/my models", "it is empty");
  assert.ok(error instanceof CheckpointStoreError);
  assert.equal(error.exitCode, 1);
  assert.equal(
    error.message,
    "/srv/my models/.current_history.json, where promote records the versions rollback returns to, is damaged " +
      "(it is empty): which version served before is not known; current is unchanged",
  );
  assert.equal(
    error.hint,
    `promote the version to return to with 'candlecast models promote VERSION --checkpoints "/srv/my models"' ` +
      "('candlecast models list' names them), which starts a new history",
  );
});
