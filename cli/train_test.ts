import assert from "node:assert/strict";
import { runCli } from "./program.ts";

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  const [log, error] = [console.log, console.error];
  let err = "";
  console.log = () => {};
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await runCli(args), err };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

Deno.test("train: bad flag values are usage errors that name the flag (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [["--split-dates", "2023-01-01"], /--split-dates: expected two dates/],
    [["--split-dates", "2023-01-01,2022-01-01"], /--split-dates: the validation start must come before/],
    [["--batch-size", "0"], /--batch-size: expected a positive integer/],
    [["--class-weights", "2"], /--class-weights: expected balanced, sqrt, none or a power/],
    [["--dropout", "1"], /--dropout: expected a dropout rate/],
    [["--incremental", "--lookback", "30"], /--lookback cannot be combined with --incremental/],
    [
      ["--incremental", "--volatility-channels"],
      /--volatility-channels cannot be combined with --incremental/,
    ],
    [["--d-model", "64", "--heads", "3"], /model size: --d-model \(64\) must be a multiple of --heads \(3\)/],
  ];
  for (const [args, message] of cases) {
    const { code, err } = await cli(["train", ...args]);
    assert.equal(code, 2, args.join(" "));
    assert.match(err, message);
  }
});

Deno.test("train: a missing CSV is a usage error naming --data, with a hint (exit 2)", async () => {
  const missing = await cli(["train", "--data", "/nonexistent/training.csv"]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--data: \/nonexistent\/training.csv does not exist\nhint: .*candlecast collect/);
});

Deno.test("train: --incremental with no current model says to train one first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-train-cli-" });
  const csv = `${dir}/t.csv`;
  await Deno.writeTextFile(
    csv,
    "symbol,open_time,open,high,low,close,volume,rsi,macd,macd_signal,macd_hist,ema,stoch_k,stoch_d\n",
  );
  const { code, err } = await cli([
    "train",
    "--data",
    csv,
    "--incremental",
    "--checkpoints",
    `${dir}/checkpoints`,
    "--backend",
    "cpu",
  ]);
  assert.equal(code, 1);
  assert.match(err, /--incremental fine-tunes .*current, and there is none/);
  await Deno.remove(dir, { recursive: true });
});
