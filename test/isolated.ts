/**
 * Runs every test file in its own `deno test` process and prints one summary in deno's own format
 * ("ok | N passed | N failed | N ignored"), so `.ci/run` reads it unchanged.
 *
 * Why: `deno test` runs all modules in one process, one runtime after another, and onnxruntime-node creates
 * its ONNX Runtime environment once per process and destroys it for good when the last runtime that used it
 * ends. So only the first test module that opens an InferenceSession works; every later one fails with
 * "OrtEnv already destroyed" (or crashes). One process per file gives each module a fresh ONNX Runtime.
 *
 *   deno run -A test/isolated.ts [paths…]   (default: every *_test.ts; DENO_JOBS sets parallelism, default 2)
 */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run",
];
const ROOT = new URL("../", import.meta.url);
const decoder = new TextDecoder();

interface Result {
  readonly file: string;
  readonly passed: number;
  readonly failed: number;
  readonly ignored: number;
  readonly ok: boolean;
  readonly output: string;
}

// deno prints colours unless NO_COLOR is set; strip them before reading its summary.
// deno-lint-ignore no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

async function runFile(file: string): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-check", ...PERMISSIONS, file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  const summary = plain(output).match(
    /^(ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \| (\d+) ignored)?/m,
  );
  const passed = summary ? Number(summary[2]) : 0;
  // A file that dies before its summary (a crash, a syntax error) counts as one failure.
  const failed = summary ? Number(summary[4]) : 1;
  return { file, passed, failed, ignored: summary?.[5] ? Number(summary[5]) : 0, ok: out.success, output };
}

/** Folders never searched for tests (deno.json's test.exclude, plus VCS and hidden folders). */
const SKIP = new Set(["node_modules", "dist", "data", "checkpoints"]);

async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") || SKIP.has(entry.name)) continue;
    const path = dir === "." ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...(await walk(path)));
    else if (entry.isFile) found.push(path);
  }
  return found;
}

async function testFiles(paths: readonly string[]): Promise<string[]> {
  const roots = paths.length > 0 ? paths : ["."];
  const files: string[] = [];
  for (const root of roots) {
    if (root.endsWith(".ts") && !(await Deno.stat(root)).isDirectory) files.push(root);
    else files.push(...(await walk(root)).filter((f) => f.endsWith("_test.ts")));
  }
  return files.sort();
}

const files = await testFiles(Deno.args);
const start = performance.now();
// Type-check once for all files, as `deno test` does, then run each without re-checking.
const check = await new Deno.Command(Deno.execPath(), { args: ["check", ...files], cwd: ROOT }).output();
if (!check.success) {
  await Deno.stderr.write(check.stderr);
  console.log("FAILED | 0 passed | 1 failed (type check)");
  Deno.exit(1);
}
const jobs = Math.max(1, Number(Deno.env.get("DENO_JOBS") ?? 2));
const results: Result[] = [];
let next = 0;
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, async () => {
  while (next < files.length) {
    const result = await runFile(files[next++]);
    results.push(result);
    // Whole files at a time, so parallel output never interleaves.
    await Deno.stdout.write(new TextEncoder().encode(result.output));
  }
}));
const sum = (key: "passed" | "failed" | "ignored") => results.reduce((n, r) => n + r[key], 0);
const broken = results.filter((r) => !r.ok);
if (broken.length > 0) console.log(`\nfailing files:\n${broken.map((r) => `  ${r.file}`).join("\n")}`);
const seconds = ((performance.now() - start) / 1000).toFixed(0);
console.log(
  `\n${broken.length === 0 ? "ok" : "FAILED"} | ${sum("passed")} passed | ${sum("failed")} failed | ` +
    `${sum("ignored")} ignored (${files.length} files in separate processes, ${seconds}s)`,
);
Deno.exit(broken.length === 0 ? 0 : 1);
