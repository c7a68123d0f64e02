import assert from "node:assert/strict";
import { keptRunClause, withoutKeptRunClause } from "./run_names.ts";

Deno.test("retrain takes train's 'kept for --resume' clause out of the hint it passes on (it removed that run)", () => {
  const hint = "free space on the disk named (df -h), and run it again";
  for (const epochs of [1, 3]) {
    const train = hint +
      keptRunClause(epochs, "/srv/ck/.train_20261205T093000_0123abcd", " --checkpoints /srv/ck");
    assert.match(
      train,
      /kept in \/srv\/ck\/\.train_.*'candlecast train --resume --checkpoints \/srv\/ck' finishes the run$/,
    );
    // Before: retrain said "retrain removed that training's run folder" beside train's "… finishes the run".
    assert.equal(withoutKeptRunClause(train), hint);
  }
  assert.equal(withoutKeptRunClause(hint), hint);
});

Deno.test("a kept run of several members says each member's epochs, not their sum", () => {
  const clause = keptRunClause([3, 2, 0], "/ck/.train_x", "");
  // Before: "the 5 epochs trained are kept", read as a run five epochs in.
  assert.equal(
    clause,
    "; what its members trained (3 and 2 epochs) is kept in /ck/.train_x: 'candlecast train --resume' finishes the run",
  );
  assert.equal(withoutKeptRunClause("free space" + clause), "free space");
  assert.equal(keptRunClause([4], "/ck/.train_x", ""), keptRunClause(4, "/ck/.train_x", ""));
});
