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
import { writeStandInCheckpoint } from "../test/stand_in_checkpoint.ts";
import { predictBody } from "../test/fake_predictor.ts";

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

/** The wrapper run by bash with `prelude` first (a `cd`, a `ulimit`), on a CANDLECAST_HOME without Deno. */
async function wrapperUnder(prelude: string, env: Record<string, string> = {}) {
  const home = await Deno.makeTempDir({ prefix: "candlecast-nodeno-" });
  try {
    const out = await new Deno.Command("bash", {
      args: ["-c", `${prelude}\nexec bash "$1" --version`, "bash", ROOT + "deploy/candlecast-deno.sh"],
      env: { CANDLECAST_HOME: home, ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr), home };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("the no-binary wrapper says what to do about a deleted working folder or a HOME that is a file (exit 1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-wrapper-" });
  try {
    // Before: Deno's own "could not read current working directory" and a Rust backtrace, before candlecast ran.
    const gone = await wrapperUnder(`cd "${dir}" && mkdir gone && cd gone && rmdir ../gone`);
    assert.equal(gone.code, 1, gone.stderr);
    // bash says its own word first ("shell-init: error retrieving current directory"), then candlecast's.
    assert.match(
      gone.stderr,
      /(^|\n)candlecast: the working folder was deleted \(or moved away\) while this shell was in it; Deno cannot start there\nhint: cd to a folder that exists and run it again\n$/,
    );
    await Deno.writeTextFile(`${dir}/home`, "");
    for (const home of [`${dir}/home`, `${dir}/home/sub`]) {
      // Before: "error: Error loading .npmrc at …/.npmrc. Caused by: Not a directory", and a backtrace.
      const file = await wrapperUnder("", { HOME: home });
      assert.equal(file.code, 1, file.stderr);
      assert.equal(
        file.stderr,
        `candlecast: HOME (${home}) is not a folder (${dir}/home is a file); Deno reads its settings and keeps ` +
          "its cache under HOME\nhint: set HOME to this user's home folder (in a systemd unit: Environment=HOME=…)\n",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the no-binary wrapper warns, in one line, of a ulimit -v or -d that Deno cannot start or train under", async () => {
  for (const [limit, named] of [["-v", "ulimit -v (LimitAS=)"], ["-d", "ulimit -d (LimitDATA=)"]]) {
    const { code, stderr, home } = await wrapperUnder(`ulimit ${limit} 8000000`);
    // Then on as before (here, to the missing Deno): the limit may be one Deno lives with.
    assert.equal(code, 1, stderr);
    const [warning, ...rest] = stderr.split("\n");
    assert.equal(
      warning,
      `candlecast: warning: ${named} is 8000000 KiB: Deno (V8) reserves far more address space than it uses ` +
        "and may abort under such a limit (at start, or when training); limit memory with a cgroup instead " +
        "(MemoryMax= in a systemd unit; docs/deployment.md, Requirements)",
    );
    assert.match(rest.join("\n"), new RegExp(`^candlecast: no Deno in ${home}/\\.tools`));
  }
  const unlimited = await wrapperUnder("ulimit -v unlimited; ulimit -d unlimited");
  assert.doesNotMatch(unlimited.stderr, /warning/);
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

/**
 * This process's environment with TMPDIR as the image has it: the Dockerfile's own `TMPDIR=…` (its paths mapped
 * by `here`, as the permissions' are), else none, as in the Deno base image (temporary folders go to /tmp).
 */
function imageTmpdirEnv(here: (path: string) => string[]): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.TMPDIR;
  const set = read("Dockerfile").replace(/^\s*#.*$/gm, "").match(/\bTMPDIR=("[^"]*"|[^\s"]+)/);
  if (set) env.TMPDIR = here(set[1].replace(/^"|"$/g, ""))[0];
  return env;
}

/** The Dockerfile's `ENV NAME="…"` value. */
function dockerEnv(name: string): string {
  const value = read("Dockerfile").match(new RegExp(`\\b${name}="([^"]*)"`));
  assert.ok(value, `the Dockerfile sets ${name}`);
  return value[1];
}

Deno.test("every CANDLECAST_ variable the code reads is in both of the image's --allow-env lists", async () => {
  // A variable left out stops the process that reads it (NotCapable): serve's workers under the image's set
  // never loaded a model when CANDLECAST_FALLBACK_VERSION was new, caught only by the 30 s serve test below.
  const names = new Set<string>();
  const sources = new Deno.Command("git", { args: ["ls-files", "*.ts"], cwd: ROOT, stdout: "piped" });
  for (const file of new TextDecoder().decode((await sources.output()).stdout).split("\n")) {
    if (!file || file.endsWith("_test.ts") || file.startsWith("test/") || file.startsWith("bench/")) continue;
    for (const [, name] of read(file).matchAll(/"(CANDLECAST_[A-Z_]+)"/g)) names.add(name);
  }
  assert.ok(names.has("CANDLECAST_WORKER"), [...names].join(", "));
  for (const set of ["CANDLECAST_SERVE_PERMISSIONS", "CANDLECAST_COMMAND_PERMISSIONS"]) {
    const env = dockerEnv(set).split(" ").find((flag) => flag.startsWith("--allow-env="))!;
    const allowed = new Set(env.slice("--allow-env=".length).split(","));
    assert.deepEqual([...names].filter((name) => !allowed.has(name)), [], `${set}'s --allow-env`);
  }
});

Deno.test("the Dockerfile never grants everything, and serve's set is scoped in every permission", () => {
  const dockerfile = read("Dockerfile");
  assert.doesNotMatch(dockerfile.replace(/^#.*$/gm, ""), /"-A"|--allow-all|--allow-sys/);
  assert.match(dockerfile, /^ENTRYPOINT \["deploy\/docker-entrypoint\.sh"\]$/m);
  assert.match(dockerfile, /^USER deno$/m, "runs as the image's non-root user");
  for (const flag of dockerEnv("CANDLECAST_SERVE_PERMISSIONS").split(" ")) {
    assert.match(flag, /^--allow-(read|write|net|env|ffi|run)=\S+$/, `serve: ${flag} is unscoped`);
  }
  for (const flag of dockerEnv("CANDLECAST_COMMAND_PERMISSIONS").split(" ")) {
    assert.match(flag, /^--allow-(read|write)$|^--allow-(net|env|ffi|run)=\S+$/, `commands: ${flag}`);
  }
});

Deno.test("the container entry point runs serve with the serve set, anything else with the other, and passes it on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-entrypoint-" });
  try {
    // A `deno` that prints what it was started with, first on PATH.
    await Deno.writeTextFile(
      `${dir}/deno`,
      '#!/bin/sh\necho "inherited: $CANDLECAST_DENO_PERMISSIONS"\nfor a in "$@"; do echo "$a"; done\n',
      { mode: 0o755 },
    );
    const run = async (args: string[]) => {
      const out = await new Deno.Command("sh", {
        args: [ROOT + "deploy/docker-entrypoint.sh", ...args],
        env: {
          PATH: `${dir}:${Deno.env.get("PATH") ?? ""}`,
          CANDLECAST_SERVE_PERMISSIONS: "--allow-read=/app --allow-net=0.0.0.0",
          CANDLECAST_COMMAND_PERMISSIONS: "--allow-read --allow-write",
        },
        stdout: "piped",
      }).output();
      assert.equal(out.code, 0);
      return new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    };
    assert.deepEqual(await run(["serve", "--port", "9000"]), [
      "inherited: --no-prompt --allow-read=/app --allow-net=0.0.0.0",
      "run",
      "--no-prompt",
      "--allow-read=/app",
      "--allow-net=0.0.0.0",
      "main.ts",
      "serve",
      "--port",
      "9000",
    ]);
    assert.deepEqual(await run(["retrain", "--mode", "monthly"]), [
      "inherited: --no-prompt --allow-read --allow-write",
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-write",
      "main.ts",
      "retrain",
      "--mode",
      "monthly",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve starts and answers under exactly the Dockerfile's serve permissions, its workers too", async () => {
  // The image's /app is this checkout (code, node_modules) plus a folder standing for its data/ and
  // checkpoints/ volumes; `deno` is this test's own (in the image, the one on PATH).
  const app = await Deno.makeTempDir({ prefix: "candlecast-docker-app-" });
  const modules = Deno.realPathSync(ROOT + "node_modules"); // a worktree's may be a link to another checkout's
  const checkout = ROOT.replace(/\/$/, "");
  const here = (path: string): string[] =>
    path === "/app"
      ? [checkout, modules, app]
      : path === "/app/node_modules"
      ? [`${checkout}/node_modules`, modules]
      : path.startsWith("/app/")
      ? [app + path.slice(4)]
      : path === "deno"
      ? [Deno.execPath()]
      : [path];
  const flags = dockerEnv("CANDLECAST_SERVE_PERMISSIONS").split(" ").map((flag) => {
    const [name, list] = flag.split("=");
    return `${name}=${list.split(",").flatMap(here).join(",")}`;
  });
  await Deno.mkdir(`${app}/data`);
  await writeStandInCheckpoint(`${app}/checkpoints/v1_2024-01-01`);
  await Deno.symlink("v1_2024-01-01", `${app}/checkpoints/current`);
  // A free port, found here: serve's own log (its URL) is not read, so nothing waits on a pipe.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--node-modules-dir=manual",
      ...flags,
      `${checkout}/main.ts`,
      "serve",
      "--host",
      "0.0.0.0",
      "--port",
      String(port),
      "--workers",
      "2",
    ],
    cwd: app, // WORKDIR /app: data/ and checkpoints/current are serve's defaults
    // This process's environment, but TMPDIR as the image has it: the serve set writes only /tmp, so a TMPDIR
    // inherited from the test's shell (TMPDIR=/some/dir) made serve refuse its workers' folder (exit 2).
    clearEnv: true,
    env: { ...imageTmpdirEnv(here), CANDLECAST_DENO_PERMISSIONS: flags.join(" ") },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // Set once serve exits: the polling below stops then, instead of waiting out its 30 s for a dead process.
  const exit: { status?: Deno.CommandStatus } = {};
  const status = child.status.then((s) => (exit.status = s));
  try {
    const url = `http://127.0.0.1:${port}`;
    // Both workers loaded the model: the second one was started with the same narrowed set.
    let loaded = 0;
    for (let i = 0; i < 300 && loaded < 2; i++) {
      const metrics = await fetch(`${url}/metrics`).then((r) => r.text(), () => "");
      loaded = metrics.match(/^candlecast_worker_model_loaded\{worker="\d"\} 1$/gm)?.length ?? 0;
      if (exit.status) {
        // Before, a serve that exited at once (exit 2, a refused TMPDIR) was polled for 30 s and reported
        // only as "0 !== 2", its reason lost.
        assert.fail(
          `serve exited with code ${exit.status.code} before both workers answered ` +
            `(${loaded} of 2 had a model); its stderr:\n${await stderr}`,
        );
      }
      if (loaded < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(loaded, 2, "both workers answer with a model");
    const res = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(predictBody()),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.match((await res.json()).prediction, /^(UP|DOWN|SIDEWAYS)$/);
    child.kill("SIGTERM");
    assert.equal((await status).code, 0);
    assert.equal(await stderr, "", "nothing refused, nothing printed to stderr");
    // The predictions log was written where the image's data/ volume is.
    assert.match(await Deno.readTextFile(`${app}/data/predictions.jsonl`), /"symbol":"BTCUSDT"/);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(app, { recursive: true });
  }
});
