import assert from "node:assert/strict";
import { join, posix, win32 } from "node:path";
import { outputFileProblem, PathKindError } from "./path_kind.ts";

Deno.test("an output path ending in a separator names a folder, there or not, with the platform's separators", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-kind-" });
  try {
    // Before: a folder not made yet passed, and collect failed at its write, after fetching every candle, as
    // "unexpected failure: ENOENT … this is a bug".
    const problem = outputFileProblem(`${join(dir, "new")}/`, "training_data.csv", posix);
    assert.ok(problem instanceof PathKindError);
    assert.equal(problem.message, `${join(dir, "new")}/ names a folder (it ends in "/"), not a file`);
    assert.equal(problem.hint, `name a file, e.g. ${join(dir, "new", "training_data.csv")}`);
    assert.equal(problem.exitCode, 2);
    // Windows takes either separator; on Linux a backslash is part of a file's name.
    assert.equal(
      outputFileProblem("C:\\models\\new\\", "trading_model.onnx", win32)?.hint,
      "name a file, e.g. C:\\models\\new\\trading_model.onnx",
    );
    assert.match(outputFileProblem("models/new/", undefined, win32)?.message ?? "", /names a folder/);
    assert.equal(outputFileProblem(join(dir, "new\\"), undefined, posix), null);
    assert.equal(outputFileProblem(join(dir, "new", "x.csv"), undefined, posix), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
