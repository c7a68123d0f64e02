/**
 * The command blocks of README.md and of the pages in docs/ (each command's full reference moved there from
 * the README) are part of the test suite, so an example cannot rot unnoticed (one did: the offline klines
 * server command once exited at once). Every command in a ```sh block, indented in a list or not, is either
 *  - run for real when it is cheap and offline: `--help`, the klines server, every `collect` that reads a
 *    local file or 127.0.0.1, with the documented output (the `# …` lines after it) compared to what it prints;
 *  - or parsed by candlecast's real command tree with the actions stubbed out (unknown flags, bad choices and
 *    missing arguments fail here), when it needs the internet, a trained model or minutes of CPU;
 *  - `curl` examples must name a route and method the API answers; `deno task X` a task in deno.json;
 *    scripts must exist. The demo and `deno task test` themselves run in CI (.ci/run).
 *  - docs/deployment.md's host commands: `candlecast …` as the installed binary (under `sudo -u`, or in a
 *    `docker run`/`docker exec` of the image) parses as above; the files they copy or run from the checkout
 *    (`/opt/candlecast/deploy/…`) exist; the system tools around them (systemctl, useradd, …) are not run.
 * And every folder's README names each file git tracks in it but its tests, so a new file cannot go unlisted.
 * And a function, type or constant a README or a docs/ page names in backticks must still exist in the code
 * (a rename shows).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ROUTES } from "./server/app.ts";
import { dryParse, runCandlecast } from "./test/cli.ts";
import { realCandlesPath, sharedAvailable } from "./test/shared.ts";

const ROOT = new URL("./", import.meta.url).pathname;

interface ReadmeCommand {
  /** Words after shell quoting is removed, env assignments and a trailing `&` taken off. */
  readonly words: string[];
  readonly background: boolean;
  /** The `# …` lines that follow it in its block: its documented output. */
  readonly output: string[];
  readonly line: number;
}

/**
 * A small shell-word splitter: quotes, backslash-newline, `#` comments, `&&`, a trailing `&`, `< file`. A
 * block indented under a list item is read with its indentation taken off.
 */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  const lines = markdown.split("\n");
  let inBlock = false;
  let text = "";
  let firstLine = 0;
  let indent = "";
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i].trimStart();
    if (!inBlock && fence.startsWith("```sh")) {
      [inBlock, text, firstLine] = [true, "", i + 2];
      indent = lines[i].slice(0, lines[i].length - fence.length);
    } else if (inBlock && fence.startsWith("```")) {
      inBlock = false;
      commands.push(...splitBlock(text, firstLine));
    } else if (inBlock) {
      text += (lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i]) + "\n";
    }
  }
  return commands;
}

function splitBlock(text: string, firstLine: number): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  let line = firstLine;
  let startLine = firstLine;
  let background = false;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    while (words.length > 0 && /^[A-Z_]+=/.test(words[0])) words.shift();
    // `< file`: standard input for the command, not one of its arguments.
    const redirect = words.indexOf("<");
    if (redirect >= 0) words.splice(redirect, 2);
    if (words.length > 0) out.push({ words, background, output: [], line: startLine });
    [words, background] = [[], false];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    if (quote) {
      if (c === quote) quote = null;
      else word = (word ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && text[i + 1] === "\n") {
      i++;
      line++;
      endWord();
    } else if (c === "#" && word === null) {
      const end = text.indexOf("\n", i);
      const comment = text.slice(i + 1, end < 0 ? undefined : end).trim();
      // A comment on a line of its own documents the previous command's output.
      if (words.length === 0 && out.length > 0) out[out.length - 1].output.push(comment);
      i = (end < 0 ? text.length : end) - 1;
    } else if (c === "&" && text[i + 1] === "&") {
      i++;
      endCommand();
    } else if (c === "&") {
      background = true;
      endCommand();
    } else if (c === "\n") endCommand();
    else if (c === " " || c === "\t") endWord();
    else {
      if (words.length === 0 && word === null) startLine = line;
      word = (word ?? "") + c;
    }
  }
  endCommand();
  return out;
}

/** The candlecast arguments of `deno task cli …`, or null for any other command. */
function candlecastArgs(words: readonly string[]): string[] | null {
  const at = words.findIndex((w, i) => w === "task" && words[i + 1] === "cli");
  return at >= 0 && /(^|\/)deno$/.test(words[0]) ? words.slice(at + 2) : null;
}

/** A command's stdout with runs of spaces collapsed, one string per line. */
const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** True for collect commands that read local files or 127.0.0.1: cheap, offline, worth running for real. */
function runnable(args: readonly string[]): boolean {
  if (args.includes("--help") || args.length === 1 && args[0] === "--help") return true;
  if (args[0] !== "collect") return false;
  const baseUrl = args[args.indexOf("--base-url") + 1];
  return args.includes("--source") || (args.includes("--base-url") && baseUrl.includes("127.0.0.1"));
}

/**
 * docs/deployment.md's commands as typed on a host: `sudo` (and `-u USER`) taken off, and the checkout's
 * install folder `/opt/candlecast/` read as this repository's root.
 */
function onHost(words: readonly string[]): string[] {
  let at = 0;
  if (words[at] === "sudo") at += words[at + 1] === "-u" ? 3 : 1;
  return words.slice(at).map((w) => w.replace(/^\/opt\/candlecast\//, ""));
}

/** The arguments of the installed `candlecast` (`candlecast`, `dist/candlecast`), or null for another one. */
function installedArgs(words: readonly string[]): string[] | null {
  return words.length > 0 && /^(\S*\/)?candlecast$/.test(words[0]) ? words.slice(1) : null;
}

/** `docker run [options] IMAGE [command…]`: the image and the command given to it. */
function dockerRun(words: readonly string[]): { image: string; args: string[] } {
  const withValue = ["-p", "-v", "-e", "--name", "--log-opt", "--stop-timeout", "--env-file", "--restart"];
  let at = 2;
  while (at < words.length && words[at].startsWith("-")) at += withValue.includes(words[at]) ? 2 : 1;
  return { image: words[at], args: words.slice(at + 1) };
}

/** Host tools in the deployment guide, not run here: the checkout files they name must exist. */
const HOST_TOOLS = [
  "cd",
  "export",
  "echo",
  "cat",
  "useradd",
  "git",
  "mkdir",
  "chown",
  "chmod",
  "cp",
  "install",
  "systemctl",
  "journalctl",
  "logrotate",
];

/** The checkout's files a host command names (`deploy/*.service` as a pattern): each must match one. */
function missingCheckoutFiles(words: readonly string[]): string[] {
  return words.filter((w) => /^(deploy|scripts)\//.test(w)).filter((w) => {
    const [folder, name] = [w.slice(0, w.lastIndexOf("/")), w.slice(w.lastIndexOf("/") + 1)];
    const pattern = new RegExp("^" + name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$");
    return !existsSync(ROOT + folder) ||
      ![...Deno.readDirSync(ROOT + folder)].some((e) => pattern.test(e.name));
  });
}

/** README.md, then every page in docs/: the files whose command blocks are checked. */
const PAGES = [
  "README.md",
  ...[...Deno.readDirSync(new URL("./docs/", import.meta.url))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort(),
];
const COMMANDS_BY_PAGE = new Map(
  PAGES.map((page) => [page, readmeCommands(Deno.readTextFileSync(ROOT + page))]),
);
const COMMANDS = [...COMMANDS_BY_PAGE].flatMap(([page, commands]) => commands.map((c) => ({ ...c, page })));
const TASKS = Object.keys(JSON.parse(Deno.readTextFileSync(new URL("./deno.json", import.meta.url))).tasks);

Deno.test("the README's and docs' shell blocks are found and split into commands", () => {
  const count = (page: string) => COMMANDS_BY_PAGE.get(page)?.length ?? 0;
  // The README keeps each command's short form; the full references in docs/ keep the rest.
  assert(count("README.md") >= 25, `only ${count("README.md")} commands found in README.md`);
  assert(COMMANDS.length >= 60, `only ${COMMANDS.length} commands found in README.md and docs/`);
  for (const page of ["collect", "training", "evaluate", "api", "retrain", "monitor", "deployment"]) {
    assert(count(`docs/${page}.md`) > 0, `no commands found in docs/${page}.md`);
  }
  const server = COMMANDS.find((c) => c.words.includes("test/binance_klines_server.ts"));
  assert(server?.background, "the offline klines server example runs in the background");
  const curl = COMMANDS.find((c) => c.words[0] === "curl" && c.words.includes("-d"));
  assert(curl?.words.some((w) => w.includes('"candles"')), "a quoted multi-line -d body stays one word");
  // A block indented under a list item is read too (docs/deployment.md has some).
  assert(
    COMMANDS.some((c) =>
      c.page === "docs/deployment.md" && c.words.includes("/opt/candlecast/dist/candlecast")
    ),
  );
});

Deno.test("every README and docs command names a real script, task, route or candlecast flag set", () => {
  const problems: string[] = [];
  for (const c of COMMANDS) {
    const where = `${c.page}:${c.line}: ${c.words.join(" ").slice(0, 90)}`;
    const args = candlecastArgs(c.words);
    const host = onHost(c.words);
    const installed = installedArgs(host);
    if (args) {
      const error = dryParse(args);
      if (error) problems.push(`${where}\n  ${error}`);
    } else if (/(^|\/)deno$/.test(c.words[0]) && c.words[1] === "task") {
      if (!TASKS.includes(c.words[2])) problems.push(`${where}\n  no task '${c.words[2]}' in deno.json`);
    } else if (/(^|\/)deno$/.test(c.words[0]) && c.words[1] === "run") {
      const script = c.words.find((w) => w.endsWith(".ts"));
      if (!script || !existsSync(ROOT + script)) problems.push(`${where}\n  no such script`);
    } else if (host[0] === "bash") {
      if (!existsSync(ROOT + host[1])) problems.push(`${where}\n  no such script`);
    } else if (installed) {
      const error = dryParse(installed);
      if (error) problems.push(`${where}\n  ${error}`);
    } else if (host[0] === "docker" && ["run", "exec", "build"].includes(host[1])) {
      // The image the guide builds (`docker build -t candlecast .`), running its entry point or a command.
      const run = host[1] === "exec"
        ? { image: "candlecast", args: host.slice(4) }
        : host[1] === "run"
        ? dockerRun(host)
        : { image: host[host.indexOf("-t") + 1], args: [] };
      if (run.image !== "candlecast") problems.push(`${where}\n  not the image the guide builds`);
      if (host[1] === "build" && !existsSync(ROOT + "Dockerfile")) problems.push(`${where}\n  no Dockerfile`);
      if (host[1] === "exec" && !existsSync(ROOT + host[3])) problems.push(`${where}\n  no such script`);
      const error = run.args.length > 0 ? dryParse(run.args) : null;
      if (error) problems.push(`${where}\n  ${error}`);
    } else if (HOST_TOOLS.includes(host[0]) || (host[0] === "docker" && host[1] === "inspect")) {
      for (const file of missingCheckoutFiles(host)) problems.push(`${where}\n  no ${file} in the checkout`);
    } else if (c.words[0] === "curl") {
      const url = new URL(c.words.find((w) => w.startsWith("http"))!);
      const x = c.words.indexOf("-X");
      const method = x >= 0 ? c.words[x + 1] : "GET";
      if (!ROUTES[url.pathname]?.includes(method)) {
        problems.push(`${where}\n  the API has no ${method} ${url.pathname}`);
      }
    } else problems.push(`${where}\n  not covered by readme_test.ts: teach it this kind of command`);
  }
  assert.deepEqual(problems, []);
});

Deno.test({
  name: "the README's and docs' offline commands run and print what they show",
  sanitizeResources: false,
  sanitizeOps: false,
  ignore: !sharedAvailable("data/binance-spot-1h/BTCUSDT-1h.csv"),
  fn: async () => {
    let started = false;
    // Each page's blocks run in order, as a reader would type them: its own output folder and klines server.
    for (const [page, commands] of COMMANDS_BY_PAGE) {
      if (await runPage(page, commands)) started = true;
    }
    assert(started, "the README or docs start the offline klines server");
  },
});

/** Runs a page's offline commands in order, checking their output; true when it started the klines server. */
async function runPage(page: string, commands: readonly ReadmeCommand[]): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-readme-" });
  let server: Deno.ChildProcess | null = null;
  let port = 0;
  try {
    for (const c of commands) {
      if (c.words.includes("test/binance_klines_server.ts")) {
        assert(existsSync(realCandlesPath("BTCUSDT")));
        const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        port = (free.addr as Deno.NetAddr).port;
        free.close();
        const words = c.words.map((w, i) => c.words[i - 1] === "--port" ? String(port) : w);
        server = new Deno.Command(Deno.execPath(), {
          args: words.slice(1),
          cwd: ROOT,
          stdout: "piped",
          stderr: "inherit",
        }).spawn();
        const reader = server.stdout.getReader();
        const { value } = await reader.read();
        reader.releaseLock();
        assert(
          new TextDecoder().decode(value).includes(`127.0.0.1:${port}`),
          "the klines server says where it listens and keeps running",
        );
        continue;
      }
      const args = candlecastArgs(c.words);
      if (!args || !runnable(args)) continue;
      // Outputs go to a temp folder; the local server gets the free port picked above.
      const outputs = new Map<string, string>();
      const run = args.map((w, i) => {
        if (args[i - 1] === "--output") {
          const temp = `${dir}/${w.replace(/\//g, "_")}`;
          outputs.set(temp, w);
          return temp;
        }
        return w.replace("127.0.0.1:8080", `127.0.0.1:${port}`);
      });
      const result = await runCandlecast(run);
      let stdout = result.stdout;
      for (const [temp, shown] of outputs) stdout = stdout.replaceAll(temp, shown);
      assert.deepEqual(result.code, 0, `${page}:${c.line} exited ${result.code}: ${result.stderr}`);
      const printed = stdout.split("\n").map(squash);
      for (const expected of c.output) {
        assert(
          printed.includes(squash(expected)),
          `${page}:${c.line} documents\n  ${expected}\nbut printed\n${stdout}`,
        );
      }
    }
    return port > 0;
  } finally {
    if (server) {
      server.kill("SIGTERM");
      await server.stdout.cancel().catch(() => {});
      await server.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the klines server command rejects a bad flag instead of starting on a default", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-net", "test/binance_klines_server.ts", "--prot", "8080"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.deepEqual(out.code, 2);
  assert(new TextDecoder().decode(out.stderr).includes("unknown option --prot"));
});

/** The repository's files as git tracks them (built and run-time files left out), or null outside a clone. */
function trackedFiles(): string[] | null {
  try {
    const out = new Deno.Command("git", {
      args: ["ls-files", "-z"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).split("\0").filter(Boolean) : null;
  } catch {
    return null;
  }
}

const TRACKED = trackedFiles();

Deno.test({
  name: "every folder's README names each file in the folder but its tests",
  ignore: TRACKED === null,
  fn: () => {
    const files = TRACKED!;
    const problems: string[] = [];
    for (const readme of files.filter((f) => f === "README.md" || f.endsWith("/README.md"))) {
      const folder = readme.slice(0, -"README.md".length);
      const text = Deno.readTextFileSync(ROOT + readme);
      for (const file of files) {
        const name = file.slice(folder.length);
        if (!file.startsWith(folder) || name.includes("/") || name === "README.md") continue;
        if (name.endsWith("_test.ts")) continue;
        // Named in backticks, alone or after a path: `run.ts`, `deploy/crontab`.
        const named = new RegExp("`(?:[^`\\s]*/)?" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "`");
        if (!named.test(text)) problems.push(`${readme} does not name ${file}`);
      }
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: "every function, type or constant a README or docs page names in backticks still exists in the code",
  ignore: TRACKED === null,
  fn: () => {
    // A rename left READMEs describing what no longer is; names in code are the cheap part of that to check.
    const words = new Set<string>();
    for (const file of TRACKED!.filter((f) => /\.(ts|cs|py|sh)$/.test(f))) {
      for (const [word] of Deno.readTextFileSync(ROOT + file).matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
        words.add(word);
      }
    }
    // camelCase (`runTraining`), PascalCase with an inner capital (`CandleSeries`), CONSTANT_CASE (`DEFAULTS`).
    const identifier =
      /`([a-z][a-zA-Z0-9]*[A-Z][a-zA-Z0-9]*|[A-Z][a-z0-9]+[A-Z][a-zA-Z0-9]*|[A-Z][A-Z0-9_]{3,})(?:\(\))?`/g;
    // The guides also name other programs' names, which no candlecast source has: these, on their page alone.
    const foreign: Record<string, string[]> = {
      "docs/csharp.md": [
        "ToUpperInvariant", // .NET's, recommended to the bot (its pair ToLowerInvariant is in csharp/)
        "OnnxTrendModel", // defined by the page's own .NET 8 snippet, which no test compiles (it says why)
      ],
      "docs/deployment.md": ["MAILTO"], // cron's, set in deploy/crontab
    };
    const problems: string[] = [];
    const pages = TRACKED!.filter((f) => f === "README.md" || f.endsWith("/README.md"));
    for (const readme of [...new Set([...pages, ...PAGES])]) {
      const text = Deno.readTextFileSync(ROOT + readme);
      for (const name of new Set([...text.matchAll(identifier)].map((m) => m[1]))) {
        if (words.has(name) || foreign[readme]?.includes(name)) continue;
        problems.push(`${readme} names \`${name}\`, which no source file has`);
      }
    }
    assert.deepEqual(problems, []);
  },
});
