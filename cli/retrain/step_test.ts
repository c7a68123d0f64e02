import assert from "node:assert/strict";
import { filesystemProblem } from "../errors.ts";
import { namingFile } from "./step.ts";

Deno.test("a retrain step whose log cannot be written names the log: 'free space there' had no there", () => {
  // A write's own error, as Deno gives it on a full disk: no file in it.
  const written = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
  const error = namingFile(written, "/var/log/candlecast/retrain.log") as Error;
  assert.equal(
    error.message,
    "No space left on device (os error 28), writing /var/log/candlecast/retrain.log",
  );
  // Still read as a full disk, now with the file in the message.
  assert.equal(
    filesystemProblem(error)!.message,
    "no space left on the device (No space left on device (os error 28), writing /var/log/candlecast/retrain.log)",
  );
  assert.equal(namingFile("not an Error", "x"), "not an Error");
});
