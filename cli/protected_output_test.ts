import assert from "node:assert/strict";
import {
  COLLECT_OUTPUT,
  EVALUATE_OUTPUT,
  EXPORT_OUTPUT,
  protectedOutputProblem,
} from "./protected_output.ts";

const file = (mode: number, uid: number) => ({ isFile: true, mode: 0o100000 | mode, uid });

Deno.test("protectedOutputProblem: another user's file only they may write is refused, for anyone but root", () => {
  // A shared folder (group-writable data/) lets user 1000 rename over user 1001's 644 CSV: it became 1000's.
  const refused = protectedOutputProblem(
    "data/training.csv",
    file(0o644, 1001),
    1000,
    COLLECT_OUTPUT,
    "linux",
  );
  assert.match(
    refused?.message ?? "",
    /^--output: data\/training\.csv belongs to another user \(uid 1001\) and only its owner may write it \(mode 644\)/,
  );
  assert.equal(refused?.hint, "run collect as that user, or choose another --output");
  // Its own file, a file its group or anyone may write, root (whose replacement keeps the owner), Windows: merged.
  for (
    const [info, uid, os] of [
      [file(0o644, 1000), 1000, "linux"],
      [file(0o664, 1001), 1000, "linux"],
      [file(0o646, 1001), 1000, "linux"],
      [file(0o644, 1001), 0, "linux"],
      [file(0o644, 1001), null, "windows"],
    ] as const
  ) {
    assert.equal(
      protectedOutputProblem("data/training.csv", info, uid, COLLECT_OUTPUT, os),
      null,
      `${info.mode} ${uid} ${os}`,
    );
  }
});

Deno.test("protectedOutputProblem: a read-only file is refused for everyone, root included", () => {
  for (const uid of [0, 1000, 1001]) {
    const refused = protectedOutputProblem(
      "data/my file.csv",
      file(0o444, 1000),
      uid,
      COLLECT_OUTPUT,
      "linux",
    );
    assert.match(refused?.message ?? "", /is read-only \(mode 444\); collect merges new candles into it/);
    assert.equal(
      refused?.hint,
      'chmod u+w "data/my file.csv" to let collect merge into it, or choose another --output',
    );
  }
  assert.equal(
    protectedOutputProblem("x.csv", { isFile: false, mode: 0o444, uid: 0 }, 0, COLLECT_OUTPUT, "linux"),
    null,
  );
  assert.equal(protectedOutputProblem("x.csv", file(0o444, 0), 0, COLLECT_OUTPUT, "windows"), null);
});

Deno.test("protectedOutputProblem: export's --output and evaluate's --output-dir files are named with their own flag and command", () => {
  const onnx = protectedOutputProblem(
    "bot/trading_model.onnx",
    file(0o644, 1001),
    1000,
    EXPORT_OUTPUT,
    "linux",
  );
  assert.equal(
    onnx?.message,
    "--output: bot/trading_model.onnx belongs to another user (uid 1001) and only its owner may write it " +
      "(mode 644); export writes the model by replacing it, which would take the file from its owner",
  );
  assert.equal(onnx?.hint, "run export as that user, or choose another --output");
  const report = protectedOutputProblem(
    "evaluation/report.html",
    file(0o444, 1000),
    1000,
    EVALUATE_OUTPUT,
    "linux",
  );
  assert.equal(
    report?.message,
    "--output-dir: evaluation/report.html is read-only (mode 444); evaluate replaces (or removes) the " +
      "evaluation files in the folder with its own, and does not replace a file its owner protected",
  );
  assert.equal(
    report?.hint,
    "chmod u+w evaluation/report.html to let evaluate replace it, or choose another --output-dir",
  );
});
