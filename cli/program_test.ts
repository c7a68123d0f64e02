import assert from "node:assert/strict";
import { runCandlecast } from "../test/cli.ts";

const cli = (...args: string[]) => runCandlecast(args);

Deno.test("--help works for the program and every command, exit 0", async () => {
  const top = await cli("--help");
  assert.equal(top.code, 0);
  for (const command of ["collect", "train", "serve", "predict", "export", "models"]) {
    assert.match(top.stdout, new RegExp(`\\b${command}\\b`));
    const help = await cli(command, "--help");
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`Usage: candlecast ${command}`));
  }
});

Deno.test("usage errors exit 2 with a one-line reason and a hint; no stack trace", async () => {
  for (const args of [["frobnicate"], ["train", "--no-such-flag"], ["serve", "--port"]]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /error: .+\n\(run 'candlecast.*--help' for usage\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
