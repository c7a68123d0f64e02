/**
 * What `deploy/` and the Dockerfile run must keep working as the CLI changes: every candlecast command in the
 * units, the crontab and the Dockerfile parses with the real command tree, the no-binary wrapper starts
 * candlecast, the container health check follows serve's port, and the log rotation names retrain's log.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dryParse } from "../test/cli.ts";
import { fromFileUrl } from "../test/paths.ts";
import { healthy, portOf } from "./healthcheck.ts";
import { VERSION } from "../engine/index.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));
const read = (path: string) => Deno.readTextFileSync(ROOT + path);
const deployFiles = [...Deno.readDirSync(ROOT + "deploy")].map((e) => `deploy/${e.name}`).sort();

/** The arguments after each `…/candlecast` in a file (units, crontab), up to a shell operator or `)`. */
function candlecastCalls(text: string): string[][] {
  return text.split("\n").filter((l) => !l.trim().startsWith("#")).flatMap((line) =>
    [...line.matchAll(/(?:^|[\s=(])\S*dist\/candlecast((?: (?![&|>])[^\s;)]+)*)/g)].map((m) =>
      m[1].trim().split(/\s+/)
    )
  );
}

Deno.test("every candlecast command in deploy/ and the Dockerfile parses", () => {
  const calls: [string, string[]][] = [];
  for (const file of deployFiles.filter((f) => /\.(service|timer)$|crontab$/.test(f))) {
    for (const args of candlecastCalls(read(file))) {
      // systemd's %i is the instance: weekly or monthly.
      calls.push([file, args.map((a) => (a === "%i" ? "weekly" : a))]);
    }
  }
  const docker = read("Dockerfile").match(/^CMD (\[.*\])$/m);
  assert.ok(docker, "the Dockerfile has a CMD");
  calls.push(["Dockerfile", JSON.parse(docker[1])]);
  assert.ok(calls.length >= 7, `only ${calls.length} commands found`);
  for (const [file, args] of calls) {
    assert.equal(dryParse(args), null, `${file}: candlecast ${args.join(" ")}`);
  }
  // A monitor timer beside the retrain ones, and the units it starts exist.
  for (const timer of deployFiles.filter((f) => f.endsWith(".timer"))) {
    const unit = read(timer).match(/^Unit=(\S+)$/m)![1].replace(/@\w+\.service$/, "@.service");
    assert.ok(deployFiles.includes(`deploy/${unit}`), `${timer} starts ${unit}, which deploy/ lacks`);
  }
  assert.ok(deployFiles.includes("deploy/candlecast-monitor.timer"));
});

Deno.test({
  name: "the no-binary wrapper runs candlecast on the project's Deno",
  // It needs scripts/setup.sh's Deno in .tools/, as on a deployed host.
  ignore: !existsSync(ROOT + ".tools/node_modules/.bin/deno"),
}, async () => {
  const out = await new Deno.Command("bash", {
    args: [ROOT + "deploy/candlecast-deno.sh", "--version"],
    env: { CANDLECAST_HOME: ROOT.replace(/\/$/, "") },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(text.trim(), VERSION);
});

Deno.test("retrain's log is the file logrotate rotates", () => {
  const rotated = read("deploy/candlecast.logrotate").match(/^(\/\S+) \{$/m)![1];
  const workdir = read("deploy/candlecast-retrain@.service").match(/^WorkingDirectory=(\S+)$/m)![1];
  assert.equal(rotated, `${workdir}/data/retrain.log`);
  assert.match(read("cli/retrain.ts"), /"--log <path>"[^\n]*"data\/retrain\.log"/);
});

Deno.test("the container health check follows serve's --port", async () => {
  assert.equal(portOf(["deno", "run", "main.ts", "serve", "--host", "0.0.0.0", "--port", "9000"]), 9000);
  assert.equal(portOf(["main.ts", "serve", "--port=9100"]), 9100);
  assert.equal(portOf(["main.ts", "serve"]), 8000);
  assert.match(read("Dockerfile"), /HEALTHCHECK[^\n]*\n\s*CMD \[[^\]]*"deploy\/healthcheck\.ts"\]/);

  let status = 200;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/health"
        ? new Response("{}", { status })
        : new Response("", { status: 404 }),
  );
  try {
    assert.equal(await healthy(server.addr.port), true);
    status = 503;
    assert.equal(await healthy(server.addr.port), false, "503 (no model) is unhealthy");
  } finally {
    await server.shutdown();
  }
  assert.equal(await healthy(server.addr.port, 500), false, "nothing listening is unhealthy");
});
