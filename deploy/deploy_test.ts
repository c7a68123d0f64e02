/**
 * What `deploy/` and the Dockerfile run must keep working as the CLI changes: every candlecast command in the
 * units, the crontab and the Dockerfile parses with the real command tree, the no-binary wrapper starts
 * candlecast, the container health check follows serve's port, and the log rotation names retrain's log.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
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

Deno.test("the no-binary wrapper before setup.sh says so, as candlecast says failures (exit 1)", async () => {
  const home = await Deno.makeTempDir({ prefix: "candlecast-nodeno-" });
  try {
    const out = await new Deno.Command("bash", {
      args: [ROOT + "deploy/candlecast-deno.sh", "--version"],
      env: { CANDLECAST_HOME: home },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    assert.equal(
      new TextDecoder().decode(out.stderr),
      `candlecast: no Deno in ${home}/.tools (scripts/setup.sh installs it there)\n` +
        `hint: run 'bash ${home}/scripts/setup.sh' once, or set CANDLECAST_HOME to the checkout that has it\n`,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
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
    // The Dockerfile's HEALTHCHECK line itself, as Docker runs it, on a command line of serve on this port
    // (before: the script read /proc/1/cmdline under --allow-read, which Deno 2 refuses without --allow-all,
    // and probed 8000 whatever --port said).
    assert.equal(await dockerHealthCheck(server.addr.port), 0);
    status = 503;
    assert.equal(await healthy(server.addr.port), false, "503 (no model) is unhealthy");
    assert.equal(await dockerHealthCheck(server.addr.port), 1);
  } finally {
    await server.shutdown();
  }
  assert.equal(await healthy(server.addr.port, 500), false, "nothing listening is unhealthy");
});

/** Runs the Dockerfile's HEALTHCHECK command with serve's command line saying `--port <port>`; its exit code. */
async function dockerHealthCheck(port: number): Promise<number> {
  const line = read("Dockerfile").match(/^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m);
  assert.ok(line, "the Dockerfile has a HEALTHCHECK in exec form");
  const [command, ...args] = JSON.parse(line[1]) as string[];
  const dir = await Deno.makeTempDir({ prefix: "candlecast-healthcheck-" });
  try {
    const cmdline = `${dir}/cmdline`;
    const serve = [
      "deno",
      "run",
      "--allow-read",
      "main.ts",
      "serve",
      "--host",
      "0.0.0.0",
      "--port",
      `${port}`,
    ];
    await Deno.writeTextFile(cmdline, serve.join("\0") + "\0");
    const out = await new Deno.Command(command, {
      args,
      cwd: ROOT,
      // `deno` as the image has it on PATH: this test's own.
      env: {
        PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
        CANDLECAST_HEALTH_CMDLINE: cmdline,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return out.code;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
