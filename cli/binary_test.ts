/**
 * The single binary from `deno task compile`, run as a user would: --help, predict and serve /health, and a
 * tiny train whose workers (ensemble members, a model's data-parallel replica) are modules the binary must embed.
 * Skipped with a message when no binary was built (building needs Deno's denort runtime: see the README).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { predictBody } from "../test/fake_predictor.ts";
import { fromFileUrl } from "../test/paths.ts";
import { sliceSeries, writeTrainingCsv } from "../features/index.ts";
import { haveRealData, loadRealSeries } from "../test/real_data.ts";

const BINARY = fromFileUrl(new URL("../dist/candlecast", import.meta.url));
const built = existsSync(BINARY);
if (!built) {
  console.warn("skipping the binary tests: no dist/candlecast (run DENORT_BIN=… deno task compile)");
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test({
  name: "the compiled binary answers --help, predict, and serve /health",
  ignore: !built,
  fn: async () => {
    const help = await new Deno.Command(BINARY, { args: ["--help"], stdout: "piped" }).output();
    assert.equal(help.code, 0);
    assert.match(text(help.stdout), /Usage: candlecast/);

    const dir = await Deno.makeTempDir({ prefix: "candlecast-binary-" });
    try {
      await writeStandInCheckpoint(join(dir, "v1_2024-01-01"));
      await Deno.symlink("v1_2024-01-01", join(dir, "current"));
      const request = join(dir, "request.json");
      await Deno.writeTextFile(request, JSON.stringify(predictBody("BTCUSDT")));
      const predict = await new Deno.Command(BINARY, {
        args: ["predict", "--input", request, "--checkpoint", join(dir, "current")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(predict.code, 0, text(predict.stderr));
      assert.ok(["UP", "DOWN", "SIDEWAYS"].includes(JSON.parse(text(predict.stdout)).prediction));

      const serve = new Deno.Command(BINARY, {
        args: ["serve", "--port", "0", "--checkpoint", join(dir, "current"), "--no-predictions-log"],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = serve.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "", url = "";
      while (!url) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += value;
        url = buffered.match(/"event":"listening","url":"([^"]+)"/)?.[1] ?? "";
      }
      assert.ok(url, "serve printed its URL");
      const health = await fetch(`${url.replace(/\/$/, "")}/health`);
      assert.equal((await health.json()).status, "healthy");
      serve.kill("SIGTERM");
      while (!(await reader.read()).done); // drain its last log lines
      assert.equal((await serve.status).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the compiled binary trains with worker threads: two members side by side, then one model on 2 cores",
  ignore: !built || !haveRealData(),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-binary-train-" });
    try {
      const data = join(dir, "data.csv");
      await writeTrainingCsv(data, [
        sliceSeries(await loadRealSeries("BTCUSDT"), 50_000, 50_500),
        sliceSeries(await loadRealSeries("ETHUSDT"), 50_000, 50_500),
      ]);
      const tiny = [
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--lookback",
        "12",
        "--d-model",
        "8",
        "--heads",
        "2",
      ];
      for (const members of ["2", "1"]) {
        const train = await new Deno.Command(BINARY, {
          args: [
            "train",
            "--data",
            data,
            "--checkpoints",
            join(dir, "checkpoints"),
            ...tiny,
            "--members",
            members,
            "--workers",
            "2",
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(train.code, 0, `--members ${members}: ${text(train.stdout)}${text(train.stderr)}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
