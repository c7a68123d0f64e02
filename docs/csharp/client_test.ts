/**
 * The C# client in this folder is real code, not a snippet: compiled with Mono's mcs (installed by .ci/run) and
 * run against a real `candlecast serve` on 127.0.0.1 — batch and single predictions, a rejected symbol, a
 * wrong key and a server that is down, all without an exception reaching the caller, and the openTime it sends
 * recorded for `candlecast monitor`. Skipped with a message when mcs/mono or their libraries are missing.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeStandInCheckpoint } from "../../test/stand_in_checkpoint.ts";
import { candlecastCommand } from "../../test/cli.ts";
import { fromFileUrl } from "../../test/paths.ts";

const here = fromFileUrl(new URL("./", import.meta.url));
const LIBS = ["System.Net.Http.dll", "System.Runtime.Serialization.dll"];
const haveMono = existsSync("/usr/bin/mcs") && existsSync("/usr/bin/mono") &&
  LIBS.every((lib) => existsSync(`/usr/lib/mono/4.5/${lib}`));
if (!haveMono) {
  console.warn(
    "skipping the C# client test: install mono-mcs, mono-runtime, libmono-system-net-http4.0-cil and " +
      "libmono-system-runtime-serialization4.0-cil (apt) to run it",
  );
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${cmd} failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test({
  name: "the C# IMLService client compiles with mcs and works against candlecast serve",
  ignore: !haveMono,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-csharp-client-" });
    const exe = join(dir, "check.exe");
    await run("/usr/bin/mcs", [
      "-langversion:7",
      ...LIBS.map((lib) => `-r:${lib}`),
      `-out:${exe}`,
      ...["IMLService.cs", "MLPrediction.cs", "LSTMPredictionService.cs", "ClientCheck.cs"].map((f) =>
        join(here, f)
      ),
    ]);
    await writeStandInCheckpoint(join(dir, "checkpoints", "v1_2024-01-01"));
    await Deno.symlink("v1_2024-01-01", join(dir, "checkpoints", "current"));
    const predictions = join(dir, "predictions.jsonl");
    const server = candlecastCommand(
      [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--checkpoint",
        join(dir, "checkpoints", "current"),
        "--predictions-log",
        predictions,
      ],
      { env: { CANDLECAST_API_KEY: "s3cret" }, stderr: "null" },
    ).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "", url = "";
      while (!url) {
        const { done, value } = await reader.read();
        assert.ok(!done, "serve exited before listening");
        buffered += value;
        const listening = buffered.split("\n").find((l) => l.includes('"listening"'));
        if (listening) url = JSON.parse(listening).url;
      }
      // Keep draining serve's request log so it never blocks on a full pipe (kept: the test counts requests).
      const drain = (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) buffered += r.value;
      })();

      const out = await run("/usr/bin/mono", [exe, url, "s3cret"]);
      const lines = out.trim().split("\n");
      const tagged = (tag: string) =>
        lines.filter((l) => l.startsWith(`PRED ${tag} `)).map((l) => l.split(" "));
      const count = (tag: string) => Number(lines.find((l) => l.startsWith(`COUNT ${tag} `))?.split(" ")[2]);

      assert.ok(lines.includes("HEALTHY True"), out);
      // Three symbols in one POST /predict/batch: the one with a broken candle is logged and left out.
      assert.equal(count("batch"), 2, out);
      assert.deepEqual(tagged("batch").map((p) => p[2]), ["BTCUSDT", "ETHUSDT"]);
      for (const p of [...tagged("batch"), ...tagged("single")]) {
        assert.ok(["UP", "DOWN", "SIDEWAYS"].includes(p[3]), p.join(" "));
        assert.equal(p[4], "v1_2024-01-01");
        const confidence = Number(p[5]);
        assert.ok(confidence > 0 && confidence <= 1);
        assert.ok(Number.isFinite(Number(p[6])));
        assert.ok(Math.abs(Number(p[7])) <= 5);
        assert.equal(p[8], "3", "three class probabilities");
      }
      // Its 60 candles were cut to the last 50 before sending: the warning says how to find candle 47 in the
      // bot's own list (57), where the server's index alone misled whoever read the log.
      assert.ok(
        lines.some((l) =>
          /^WARN BADUSDT: HTTP 422: .*candles\[47\]\.high.*\(candles\[i\] counts the 50 candles sent, the last of 60: the bot's candle i \+ 10\)$/
            .test(l)
        ),
        out,
      );
      // Under tr-TR (ClientCheck's culture) each probability is found by its label as given, lower-cased with
      // ToLowerInvariant or with the host's culture ("sıdeways"): the three sum to 1 every way.
      const probs = lines.filter((l) => l.startsWith("PROBS batch ") || l.startsWith("PROBS single "));
      assert.equal(probs.length, 3, out);
      for (const l of probs) {
        const [, , symbol, ...sums] = l.split(" ");
        assert.deepEqual(
          sums.map((v) => Math.abs(Number(v) - 1) < 1e-4),
          [true, true, true],
          `${symbol}: ${l}`,
        );
      }
      assert.equal(count("single"), 1, out);
      // Too few candles, a wrong key, a server that is down: logged, never thrown.
      assert.equal(count("short"), 0);
      assert.ok(lines.some((l) => /^WARN ADAUSDT: HTTP 422: .*at least/.test(l)), out);
      assert.equal(count("wrongkey"), 0);
      assert.ok(lines.some((l) => /^WARN BTCUSDT: HTTP 401/.test(l)), out);
      assert.ok(lines.includes("DOWNHEALTHY False"), out);
      assert.equal(count("down"), 0);
      assert.ok(
        lines.some((l) => /^WARN POST http:\/\/127\.0\.0\.1:1\/predict failed after 2 tries/.test(l)),
        out,
      );
      // 16 symbols of 500 candles each: all answered (before: one 2.4 MB body, a 413, none).
      assert.equal(count("long"), 16, out);
      assert.ok(!lines.some((l) => /HTTP 413/.test(l)), out);
      assert.equal(count("sized"), 6, out);
      assert.ok(lines.includes("CONFIGURL http://config:1"), out);
      assert.equal(lines.at(-1), "DONE");

      // openTime was sent: serve logged each prediction's last candle time (what monitor joins on). The
      // predictions log is written in the background and flushed at shutdown, so stop serve first.
      server.kill("SIGTERM");
      await server.status;
      await drain.catch(() => {});
      // The six symbols of "sized" went out two to a body (MaxBodyBytes 40,000; ~15 KB a symbol).
      const requests = buffered.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      const sized = requests.filter((r) =>
        r.path === "/predict/batch" && /^Z\d/.test(String(r.symbol ?? ""))
      );
      assert.equal(sized.length, 3, JSON.stringify(sized));
      const logged = (await Deno.readTextFile(predictions)).trim().split("\n").map((l) => JSON.parse(l));
      const hour = 3_600_000, start = 1_700_000_000_000 - (1_700_000_000_000 % hour);
      const btc = logged.find((r) => r.symbol === "BTCUSDT");
      assert.equal(btc.last_candle_time, start + 59 * hour);
    } finally {
      try {
        server.kill("SIGKILL");
      } catch {
        // already gone
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
