/**
 * Concurrent retrains and a killed retrain (issue 13.9): with a lock file left behind naming a live,
 * unrelated process, three retrains started at once → exactly one takes the lock (the old pid-file lock let
 * two or three through in 10 of 10 trials, or blocked forever on the live pid); and a retrain killed with
 * SIGKILL takes its running child step down with it, freeing the lock.
 *
 * The winner is held inside its first step: `collect` against a 127.0.0.1 klines server that never answers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { computeIndicators, seriesFromCandles, writeTrainingCsv } from "../../features/index.ts";
import { tryLockFile } from "../../base/index.ts";
import { simulateMarket } from "../../features/market_simulator.ts";
import { candlecastCommand } from "../../test/cli.ts";

const TRIALS = 3;

async function childrenOf(pid: number): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,ppid="], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([, ppid]) => ppid === pid).map(([p]) => p);
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test({
  name:
    "retrain race: 3 at once over a lock naming a live pid → exactly one runs; kill -9 ends its child too",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-retrain-race-" });
    // Accepts klines requests and never answers them (until the test ends).
    const stalled: (() => void)[] = [];
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () =>
        new Promise<Response>((resolve) => stalled.push(() => resolve(new Response("bye", { status: 500 })))),
    );
    try {
      const series = seriesFromCandles(
        "SIMAUSDT",
        simulateMarket({
          seed: 1,
          start: Date.UTC(2026, 0, 1),
          intervalMs: 3_600_000,
          count: 300,
          startPrice: 100,
          baseVolume: 50,
        }),
      );
      computeIndicators(series);
      await writeTrainingCsv(join(dir, "data.csv"), [series]);
      const root = join(dir, "checkpoints");
      await Deno.mkdir(root);
      const lockPath = join(root, ".retrain.lock");
      const winners: number[] = [];
      let asked = 0;
      for (let trial = 0; trial < TRIALS; trial++) {
        // What a crashed run of the old lock left: a note naming a live process that is not a retrain.
        await Deno.writeTextFile(lockPath, JSON.stringify({ pid: 1, started: "2026-01-01T00:00:00Z" }));
        const runs = [0, 1, 2].map(() =>
          candlecastCommand([
            "retrain",
            "--mode",
            "weekly",
            "--data",
            join(dir, "data.csv"),
            "--checkpoints",
            root,
            "--log",
            join(dir, "retrain.log"),
            "--base-url",
            `http://127.0.0.1:${server.addr.port}`,
          ], { stdin: "null" }).spawn()
        );
        // The losers end at once with a clear message; the winner sits in its collect step. (Two winners would
        // both sit there, and this wait would time out.)
        const ended = runs.map(() => false);
        const outputs = runs.map((run, k) => run.output().then((out) => (ended[k] = true, out)));
        await until("two retrains to give up", () => ended.filter(Boolean).length >= 2, 120_000);
        const running = runs.filter((_, k) => !ended[k]);
        winners.push(running.length);
        assert.equal(running.length, 1, `trial ${trial}: exactly one retrain holds the lock`);
        for (const [k, out] of (await Promise.all(outputs.filter((_, k) => ended[k]))).entries()) {
          assert.equal(out.code, 1, `loser ${k}`);
          assert.match(
            new TextDecoder().decode(out.stderr),
            /another retrain is running \(pid \d+, since 20/,
          );
        }
        const winner = running[0];
        // Its collect step is running candlecast's code (not still starting up) once it asks for klines.
        await until("the winner's collect step to ask for klines", () => stalled.length > asked, 120_000);
        asked = stalled.length;
        const [child] = await childrenOf(winner.pid);
        assert.ok(child, "the collect step is the winner's child");
        assert.equal(await tryLockFile(lockPath, "test"), null, "the lock is held while it runs");

        winner.kill("SIGKILL");
        // It polls its parent pid every 0.5 s; the bound leaves room for a machine under load.
        await until("the orphaned collect step to stop", () => !alive(child), 30_000);
        await outputs[runs.indexOf(winner)];
        const free = await tryLockFile(lockPath, "test");
        assert.ok(free, "the kernel lock died with the killed retrain");
        free.release();
      }
      console.log(
        `retrain race: ${TRIALS} trials × 3 retrains over a live-pid lock file, lock winners ${
          winners.join(", ")
        }`,
      );
    } finally {
      stalled.forEach((answer) => answer());
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
