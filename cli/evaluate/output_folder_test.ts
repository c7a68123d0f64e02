import assert from "node:assert/strict";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { CommandError, UsageError } from "../errors.ts";
import { claimOutputFolder, writeEvaluation } from "./output_folder.ts";

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

Deno.test({
  name:
    "evaluate's --output-dir: a FIFO or folder where it writes is refused unread; a partial write never reads a FIFO",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "candlecast-evaluate-fifo-" });
    try {
      // Before: a FIFO named evaluation.json was taken as an earlier evaluation, and the run waited for a
      // writer for good when it read it.
      for (const name of ["evaluation.json", "report.html", "predictions.partial.csv"]) {
        const out = join(root, name.replace(/\W/g, "_"));
        await Deno.mkdir(out);
        const fifo = join(out, name);
        assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
        await assert.rejects(claimOutputFolder(out), (e: Error) => {
          assert.ok(e instanceof UsageError);
          assert.equal(
            e.message,
            `--output-dir: ${fifo} is a FIFO (named pipe), not a regular file; evaluate writes its ${name} ` +
              "there; nothing was run",
          );
          assert.match(e.hint ?? "", /^move it away \('mv .*\.aside'\), or choose another --output-dir$/);
          return true;
        });
        assert.ok(Deno.statSync(fifo).isFifo, "left as it was");
      }
      const folder = join(root, "folder");
      await Deno.mkdir(join(folder, "report.html"), { recursive: true });
      await assert.rejects(claimOutputFolder(folder), /report\.html is a folder, not a regular file/);
      // A device is written into where evaluate only writes (predictions kept nowhere), refused where it reads.
      const devices = join(root, "devices");
      await Deno.mkdir(devices);
      await Deno.writeTextFile(join(devices, "evaluation.json"), '{"folds":[]}');
      await Deno.symlink("/dev/null", join(devices, "predictions.csv"));
      (await claimOutputFolder(devices)).release();
      await Deno.remove(join(devices, "evaluation.json"));
      await Deno.symlink("/dev/null", join(devices, "evaluation.json"));
      await assert.rejects(claimOutputFolder(devices), /evaluation\.json is a device, not a regular file/);

      // A FIFO put there after the claim (with a reader at its other end, as a pipe to another program): an
      // interrupted run's partial write checked it for a complete evaluation with a plain read, which waited
      // for a writer for good. Now it is not read as one; the evaluation goes through it, as writes to a pipe do.
      const late = join(root, "late");
      await Deno.mkdir(late);
      const fifo = join(late, "evaluation.json");
      assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
      const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const write = writeEvaluation(late, true, { json: "{}", report: "<p>", predictions: "a\n" });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const outcome = await Promise.race([
          write.then(() => "written"),
          new Promise<string>((resolve) => timer = setTimeout(() => resolve("waiting"), 5000)),
        ]);
        clearTimeout(timer);
        if (outcome === "waiting") {
          // Unblock the old read (a writer opens and closes the FIFO) so the test ends rather than hangs.
          (await Deno.open(fifo, { write: true })).close();
          await write.catch(() => {});
        }
        assert.equal(outcome, "written", "the partial write waited on the FIFO");
        const got = new Uint8Array(16);
        const { bytesRead } = await reader.read(got, 0, got.length, null);
        assert.equal(new TextDecoder().decode(got.subarray(0, bytesRead)), "{}");
      } finally {
        await reader.close();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
