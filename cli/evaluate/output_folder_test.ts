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

Deno.test({
  name:
    "evaluate's --output-dir: an evaluation file its owner made read-only, or another user's only they may write, is refused before the run",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "candlecast-evaluate-protected-" });
    try {
      const out = join(root, "evaluation");
      await Deno.mkdir(out);
      await Deno.writeTextFile(join(out, "evaluation.json"), "{}");
      await Deno.writeTextFile(join(out, "report.html"), "an earlier evaluation");
      for (const name of ["evaluation.json", "report.html"]) await Deno.chmod(join(out, name), 0o644);
      // Files this process made, judged as another user's: a uid that is neither root nor their owner.
      const me = Deno.uid()!;
      const other = me + 1;
      // Before: a shared folder let user 1000 replace user 1001's 644 report.html at the run's end: it became 1000's.
      await assert.rejects(claimOutputFolder(out, other), (e: Error) => {
        assert.ok(e instanceof UsageError);
        assert.equal(
          e.message,
          `--output-dir: ${
            join(out, "evaluation.json")
          } belongs to another user (uid ${me}) and only its owner ` +
            "may write it (mode 644); evaluate replaces (or removes) the evaluation files in the folder with its " +
            "own, which would take the file from its owner",
        );
        assert.equal(e.hint, "run evaluate as that user, or choose another --output-dir");
        return true;
      });
      // A partial file an interrupted run left is removed by a complete one: refused alike.
      await Deno.chmod(join(out, "evaluation.json"), 0o664);
      await Deno.chmod(join(out, "report.html"), 0o664);
      await Deno.writeTextFile(join(out, "predictions.partial.csv"), "x\n");
      await Deno.chmod(join(out, "predictions.partial.csv"), 0o644);
      await assert.rejects(
        claimOutputFolder(out, other),
        /predictions\.partial\.csv belongs to another user/,
      );
      await Deno.chmod(join(out, "predictions.partial.csv"), 0o664);
      // Group-writable, they are shared: claimed. Root's run keeps the owner, so it is let through too.
      (await claimOutputFolder(out, other)).release();
      (await claimOutputFolder(out, 0)).release();
      // Read-only is refused for everyone, root too (judged by the mode, not by access()).
      await Deno.chmod(join(out, "report.html"), 0o444);
      for (const uid of [me, 0]) {
        await assert.rejects(claimOutputFolder(out, uid), (e: Error) => {
          assert.ok(e instanceof UsageError);
          assert.match(e.message, /report\.html is read-only \(mode 444\); evaluate replaces/);
          assert.match(e.hint ?? "", /^chmod u\+w .*report\.html to let evaluate replace it/);
          return true;
        });
      }
      assert.equal(await Deno.readTextFile(join(out, "report.html")), "an earlier evaluation");
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(),
        ["evaluation.json", "predictions.partial.csv", "report.html"],
        "no lock left behind by a refused claim",
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("evaluate's --output-dir a link to a folder not there is refused before any fold, naming both", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-evaluate-out-" });
  try {
    await Deno.symlink(join(root, "unmounted"), join(root, "evaluation"));
    // Before: "unexpected failure: EEXIST … mkdir" (this is a bug), exit 1.
    await assert.rejects(
      claimOutputFolder(join(root, "evaluation")),
      (e: Error & { exitCode?: number }) =>
        e.name === "PathKindError" && e.exitCode === 2 &&
        e.message ===
          `${join(root, "evaluation")} is a link to ${
            join(root, "unmounted")
          }, which is not there (a drive not mounted, a folder moved)`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
