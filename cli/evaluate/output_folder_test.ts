import assert from "node:assert/strict";
import { join } from "node:path";
import { CommandError, UsageError } from "../errors.ts";
import { claimOutputFolder } from "./output_folder.ts";

Deno.test("evaluate's --output-dir: a model version or a foreign report.html or predictions.csv is refused; a folder in use is busy", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-evaluate-out-" });
  try {
    // Before: `evaluate --checkpoint checkpoints/current --output-dir checkpoints/current` replaced the
    // version's hashed report.html, and promote, rollback and every retrain refused the version from then on.
    const version = join(root, "v1_2026-01-01");
    await Deno.mkdir(version);
    await Deno.writeTextFile(join(version, "manifest.json"), "{}");
    await Deno.writeTextFile(join(version, "report.html"), "the version's own");
    await assert.rejects(claimOutputFolder(version), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /is a model version; evaluate's report\.html would replace the version's own/);
      return true;
    });
    assert.equal(await Deno.readTextFile(join(version, "report.html")), "the version's own");
    const foreign = join(root, "site");
    await Deno.mkdir(foreign);
    await Deno.writeTextFile(join(foreign, "report.html"), "someone's page");
    await assert.rejects(claimOutputFolder(foreign), /holds a report\.html that no evaluation wrote/);
    // A predictions.csv alone likewise (before: replaced unasked at the run's end).
    const own = join(root, "mine");
    await Deno.mkdir(own);
    await Deno.writeTextFile(join(own, "predictions.csv"), "my,own,data\n");
    await assert.rejects(claimOutputFolder(own), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /holds a predictions\.csv that no evaluation wrote/);
      assert.match(e.hint ?? "", /move that predictions\.csv away/);
      return true;
    });
    assert.equal(await Deno.readTextFile(join(own, "predictions.csv")), "my,own,data\n");
    // Beside an evaluation.json, report.html is an earlier evaluation's: replaced, as said.
    await Deno.writeTextFile(join(foreign, "evaluation.json"), "{}");
    (await claimOutputFolder(foreign)).release();

    const out = join(root, "evaluation");
    const held = await claimOutputFolder(out);
    await assert.rejects(claimOutputFolder(out), (e: Error) => {
      assert.ok(e instanceof CommandError);
      assert.match(
        e.message,
        new RegExp(`^${out} is being written by evaluate into ${out} \\(pid ${Deno.pid}`),
      );
      return true;
    });
    held.release();
    (await claimOutputFolder(out)).release();
    await assert.rejects(
      Deno.stat(out),
      Deno.errors.NotFound,
      "a folder made for a run that wrote nothing goes",
    );
    await Deno.mkdir(out);
    (await claimOutputFolder(out)).release();
    assert.deepEqual(
      await Array.fromAsync(Deno.readDir(out)),
      [],
      "the lock goes with the run; the folder stays",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
