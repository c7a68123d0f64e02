import assert from "node:assert/strict";
import { protectedOutputProblem } from "./protected_output.ts";

const file = (mode: number, uid: number) => ({ isFile: true, mode: 0o100000 | mode, uid });

Deno.test("protectedOutputProblem: another user's file only they may write is refused, for anyone but root", () => {
  // A shared folder (group-writable data/) lets user 1000 rename over user 1001's 644 CSV: it became 1000's.
  const refused = protectedOutputProblem("data/training.csv", file(0o644, 1001), 1000, "linux");
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
      protectedOutputProblem("data/training.csv", info, uid, os),
      null,
      `${info.mode} ${uid} ${os}`,
    );
  }
});

Deno.test("protectedOutputProblem: a read-only file is refused for everyone, root included", () => {
  for (const uid of [0, 1000, 1001]) {
    const refused = protectedOutputProblem("data/my file.csv", file(0o444, 1000), uid, "linux");
    assert.match(refused?.message ?? "", /is read-only \(mode 444\); collect merges new candles into it/);
    assert.equal(
      refused?.hint,
      'chmod u+w "data/my file.csv" to let collect merge into it, or choose another --output',
    );
  }
  assert.equal(protectedOutputProblem("x.csv", { isFile: false, mode: 0o444, uid: 0 }, 0, "linux"), null);
  assert.equal(protectedOutputProblem("x.csv", file(0o444, 0), 0, "windows"), null);
});
