/**
 * README.md's command blocks are part of the test suite, so an example cannot rot unnoticed (one did: the
 * offline klines server command once exited at once). Every command in a ```sh block is either
 *  - run for real when it is cheap and offline: `--help`, the klines server, every `collect` that reads a
 *    local file or 127.0.0.1, with the documented output (the `# …` lines after it) compared to what it prints;
 *  - or parsed by candlecast's real command tree with the actions stubbed out (unknown flags, bad choices and
 *    missing arguments fail here), when it needs the internet, a trained model or minutes of CPU;
 *  - `curl` examples must name a route and method the API answers; `deno task X` a task in deno.json;
 *    scripts must exist. The demo and `deno task test` themselves run in CI (.ci/run).
 * And every folder's README names each file git tracks in it but its tests, so a new file cannot go unlisted.
 * And a function, type or constant a README names in backticks must still exist in the code (a rename shows).
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

/** A small shell-word splitter: quotes, backslash-newline, `#` comments, `&&`, a trailing `&`, `< file`. */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  const lines = markdown.split("\n");
  let inBlock = false;
  let text = "";
  let firstLine = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!inBlock && lines[i].startsWith("```sh")) [inBlock, text, firstLine] = [true, "", i + 2];
    else if (inBlock && lines[i].startsWith("```")) {
      inBlock = false;
      commands.push(...splitBlock(text, firstLine));
    } else if (inBlock) text += lines[i] + "\n";
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

const README = Deno.readTextFileSync(new URL("./README.md", import.meta.url));
const COMMANDS = readmeCommands(README);
const TASKS = Object.keys(JSON.parse(Deno.readTextFileSync(new URL("./deno.json", import.meta.url))).tasks);

Deno.test("the README's shell blocks are found and split into commands", () => {
  assert(COMMANDS.length >= 30, `only ${COMMANDS.length} commands found in README.md`);
  const server = COMMANDS.find((c) => c.words.includes("test/binance_klines_server.ts"));
  assert(server?.background, "the offline klines server example runs in the background");
  const curl = COMMANDS.find((c) => c.words[0] === "curl" && c.words.includes("-d"));
  assert(curl?.words.some((w) => w.includes('"candles"')), "a quoted multi-line -d body stays one word");
});

Deno.test("every README command names a real script, task, route or candlecast flag set", () => {
  const problems: string[] = [];
  for (const c of COMMANDS) {
    const where = `README.md:${c.line}: ${c.words.join(" ").slice(0, 90)}`;
    const args = candlecastArgs(c.words);
    if (args) {
      const error = dryParse(args);
      if (error) problems.push(`${where}\n  ${error}`);
    } else if (/(^|\/)deno$/.test(c.words[0]) && c.words[1] === "task") {
      if (!TASKS.includes(c.words[2])) problems.push(`${where}\n  no task '${c.words[2]}' in deno.json`);
    } else if (/(^|\/)deno$/.test(c.words[0]) && c.words[1] === "run") {
      const script = c.words.find((w) => w.endsWith(".ts"));
      if (!script || !existsSync(ROOT + script)) problems.push(`${where}\n  no such script`);
    } else if (c.words[0] === "bash") {
      if (!existsSync(ROOT + c.words[1])) problems.push(`${where}\n  no such script`);
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
  name: "the README's offline commands run and print what the README shows",
  sanitizeResources: false,
  sanitizeOps: false,
  ignore: !sharedAvailable("data/binance-spot-1h/BTCUSDT-1h.csv"),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-readme-" });
    let server: Deno.ChildProcess | null = null;
    let port = 0;
    try {
      for (const c of COMMANDS) {
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
        assert.deepEqual(result.code, 0, `README.md:${c.line} exited ${result.code}: ${result.stderr}`);
        const printed = stdout.split("\n").map(squash);
        for (const expected of c.output) {
          assert(
            printed.includes(squash(expected)),
            `README.md:${c.line} documents\n  ${expected}\nbut printed\n${stdout}`,
          );
        }
      }
      assert(port > 0, "the README starts the offline klines server");
    } finally {
      if (server) {
        server.kill("SIGTERM");
        await server.stdout.cancel().catch(() => {});
        await server.status;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

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
  name: "every function, type or constant a README names in backticks still exists in the code",
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
    const problems: string[] = [];
    for (const readme of TRACKED!.filter((f) => f === "README.md" || f.endsWith("/README.md"))) {
      const text = Deno.readTextFileSync(ROOT + readme);
      for (const name of new Set([...text.matchAll(identifier)].map((m) => m[1]))) {
        if (!words.has(name)) problems.push(`${readme} names \`${name}\`, which no source file has`);
      }
    }
    assert.deepEqual(problems, []);
  },
});
