/**
 * The C# feature port in CandlecastFeatures.cs must give the bot exactly the numbers candlecast's model was
 * trained on. Compiles it with Mono's mcs (installed by .ci/run) and compares with features/engineer.ts on real
 * windows, extreme bars included. Skipped with a message when mcs/mono are not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  engineerWindow,
  FEATURE_COUNT,
  FEATURE_NAMES,
  SERIES_COLUMNS,
  windowEnds,
} from "../../features/index.ts";
import { haveRealData, loadRealSeries } from "../../test/real_data.ts";
import { fromFileUrl } from "../../test/paths.ts";

const here = fromFileUrl(new URL("./", import.meta.url));
const haveMono = existsSync("/usr/bin/mcs") && existsSync("/usr/bin/mono");
if (!haveMono) {
  console.warn("skipping the C# feature parity test: install mono-mcs and mono-runtime (apt) to run it");
}

async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test({
  name: "the C# feature port equals features/engineer.ts on real windows",
  ignore: !haveMono || !haveRealData(),
  fn: async () => {
    const exe = join(await mkdtemp(join(tmpdir(), "candlecast-cs-")), "check.exe");
    await run("/usr/bin/mcs", [
      "-langversion:7",
      `-out:${exe}`,
      join(here, "CandlecastFeatures.cs"),
      join(here, "FeatureCheck.cs"),
    ]);
    const crash = Date.UTC(2020, 2, 12, 12);
    for (const symbol of ["BTCUSDT", "ETHUSDT", "SOLUSDT"]) {
      const s = await loadRealSeries(symbol);
      const { ends } = windowEnds(s, { lookback: 50, horizon: 0 });
      const crashEnd = ends.find((t) => s.openTime[t] >= crash) ?? ends[0];
      for (const t of [ends[0], ends[Math.floor(ends.length / 2)], ends[ends.length - 1], crashEnd]) {
        const start = t - 49;
        const lines = [];
        for (let i = start; i <= t; i++) {
          lines.push(SERIES_COLUMNS.map((name) => String(s[name][i])).join(","));
        }
        const csharp = (await run("/usr/bin/mono", [exe, "50"], lines.join("\n") + "\n")).trim().split("\n")
          .flatMap((row) => row.split(",").map(Number));
        const ts = engineerWindow(s, start, 50);
        assert.equal(csharp.length, ts.length);
        for (let i = 0; i < ts.length; i++) {
          const tolerance = 1e-6 * Math.max(1, Math.abs(ts[i]));
          assert.ok(
            Math.abs(csharp[i] - ts[i]) <= tolerance,
            `${symbol} window ending ${t}, candle ${Math.floor(i / FEATURE_COUNT)}, ` +
              `${FEATURE_NAMES[i % FEATURE_COUNT]}: C# ${csharp[i]} vs TypeScript ${ts[i]}`,
          );
        }
      }
    }
  },
});
