import assert from "node:assert/strict";
import { dryParse, runCliCaptured } from "../test/cli.ts";

Deno.test("a flag other tools name differently gets candlecast's name in the hint, per command", async () => {
  const cases: [string[], string][] = [
    // Before: "unknown option '--models-dir'" and only "run 'candlecast train --help' for the flags".
    [
      ["train", "--models-dir", "x"],
      "did you mean --checkpoints? (run 'candlecast train --help' for the flags)",
    ],
    [["models", "list", "--model-dir", "x"], "did you mean --checkpoints?"],
    [["predict", "--model-dir", "x"], "did you mean --checkpoint?"],
    [["export", "--models-dir", "x"], "did you mean --checkpoint?"],
    [["serve", "--model", "x"], "did you mean --checkpoint?"],
    // train writes a version folder under --checkpoints: that is its output.
    [["train", "--output", "x"], "did you mean --checkpoints?"],
    [["evaluate", "--out", "x"], "did you mean --output-dir?"],
    [["demo", "--output", "x"], "did you mean --dir?"],
    [["export", "-o", "x.onnx"], "did you mean --output?"],
    [["predict", "-i", "x.json"], "did you mean --input?"],
    [["collect", "--input", "x"], "did you mean --csv-path or --json-path?"],
    // train's and evaluate's --data, given to the commands that read another kind of input.
    [["predict", "--data", "x.json"], "did you mean --input?"],
    [["collect", "--data", "x.csv"], "did you mean --csv-path or --json-path?"],
    [["train", "--config", "x"], "did you mean --config-from?"],
    [["train", "--fine-tune"], "did you mean --incremental?"],
    [["train", "--lr", "0.1"], "did you mean --learning-rate?"],
    [["collect", "--timeframe", "1h"], "did you mean --interval?"],
  ];
  for (const [args, hint] of cases) {
    const r = await runCliCaptured(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, new RegExp(`^candlecast: unknown option '${args.find((a) => a.startsWith("-"))}'\n`));
    assert.ok(r.err.includes(`hint: ${hint}`), `${args.join(" ")}: ${r.err}`);
  }
  // commander's own guesses and the prefix hint still stand where no alias applies.
  assert.match((await runCliCaptured(["train", "--epoch", "3"])).err, /did you mean --epochs\?/);
  assert.match((await runCliCaptured(["predict", "--checkpoints", "x"])).err, /did you mean --checkpoint\?/);
});

Deno.test("a value-taking flag followed by another flag is refused, naming both, not run with that value", async () => {
  // Before: `models list --checkpoints --json` listed a folder named "--json"; `demo --dir --short` ran the
  // whole demo into ./--short and served it on :8000; `predict --input --checkpoint x` said "too many arguments".
  const list = await runCliCaptured(["models", "list", "--checkpoints", "--json"]);
  assert.equal(list.code, 2, list.out + list.err);
  assert.equal(list.out, "");
  assert.equal(
    list.err,
    "candlecast: --checkpoints needs a value, but the next word is the flag --json\n" +
      "hint: give it its value first: 'candlecast models list --checkpoints DIR --json …'\n",
  );
  const predict = await runCliCaptured(["predict", "--input", "--checkpoint", "x"]);
  assert.equal(predict.code, 2);
  assert.match(
    predict.err,
    /^candlecast: --input needs a value, but the next word is the flag --checkpoint\n/,
  );
  assert.match(dryParse(["demo", "--dir", "--short"]) ?? "", /--dir needs a value/);
  // A misspelt flag as the next word is no value either (`demo --dir --shrot` ran the demo into ./--shrot);
  // bound with '=' it is taken.
  // Parsed only (dryParse): without the check, a run would do the whole demo and serve it.
  assert.equal(
    dryParse(["demo", "--dir", "--shrot"]),
    "--dir needs a value, but the next word --shrot looks like a flag (not one of 'candlecast demo')",
  );
  assert.equal(dryParse(["demo", "--dir=--shrot", "--port", "1"]), null);
  // A value that merely starts with a dash is a value; retrain's --train-args carries train's flags.
  assert.equal(dryParse(["train", "--threshold", "-0.1"]), null);
  assert.equal(dryParse(["retrain", "--mode", "monthly", "--train-args", "--json"]), null);
  assert.equal(dryParse(["retrain", "--mode", "monthly", "--train-args=--epochs 3"]), null);
  // A value bound with `=` is no next word taken by mistake: the user wrote it as the value (it said "the next
  // word is the flag --json" for `--checkpoints=--json`, where no next word was involved).
  assert.equal(dryParse(["models", "list", "--checkpoints=--json"]), null);
  assert.equal(dryParse(["demo", "--dir=--short", "--port", "1"]), null);
  // The same value given again as the next word is still refused.
  assert.match(
    dryParse(["models", "list", "--checkpoints=x", "--checkpoints", "--json"]) ?? "",
    /--checkpoints needs a value/,
  );
});

Deno.test("a word left over names itself and where values go, not only commander's argument count", async () => {
  // Before: "too many arguments for 'list'. Expected 0 arguments but got 1."
  const list = await runCliCaptured(["models", "list", "/srv/checkpoints"]);
  assert.equal(list.code, 2);
  assert.equal(
    list.err,
    "candlecast: 'candlecast models list' takes no arguments, only flags; this word is left over: " +
      "'/srv/checkpoints'\n" +
      "hint: a value goes right after its flag, e.g. '--checkpoints DIR'; a word with spaces needs quotes " +
      "(run 'candlecast models list --help' for the flags)\n",
  );
  const promote = await runCliCaptured(["models", "promote", "v1_2026-01-01", "v2_2026-01-01"]);
  assert.equal(promote.code, 2);
  assert.match(
    promote.err,
    /^candlecast: 'candlecast models promote' takes 1 argument \(<version>\); this word is left over: 'v2_2026-01-01'\n/,
  );
});

Deno.test("models remove (delete, rm …) says models deletes nothing and how to, not 'did you mean promote?'", async () => {
  for (const name of ["remove", "delete", "rm", "prune"]) {
    const r = await runCliCaptured(["models", name, "v2_2026-01-01"]);
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.err,
      new RegExp(`^candlecast: unknown command '${name}'\nhint: models deletes no version: `),
    );
    assert.doesNotMatch(r.err, /promote\?/);
  }
  // A slip of a real name keeps commander's guess.
  assert.match((await runCliCaptured(["models", "lsit"])).err, /hint: did you mean list\?/);
});
