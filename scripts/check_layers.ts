/**
 * `deno task check:layers`: fails (exit 1, one line per offending import) when an import breaks the layering
 * of DESIGN.md, `features ← engine ← {ml, server} ← cli ← main.ts`, with `base` (files, locks, paths, terminal
 * output: what every layer needs and is no feature) beneath `features`, so the structure stays as designed:
 *
 * - a production file imports only its own layer and the layers below it (nothing imports cli/);
 * - `@tensorflow/*` only in ml/ (and bench/, which times tfjs itself);
 * - `onnxruntime-node` only in engine/ (ml/onnx's export check runs the model through the engine);
 * - `hono` only in server/, `commander` only in cli/ (and test/, which drives the CLI);
 * - every production file is in a layer: a new top folder, or a .ts beside main.ts, is named until it is;
 * - production code never imports test support (test/, `*_test.ts`, `*_test_support.ts`);
 * - an import into another folder that has an index.ts goes through that index.ts (from outside that folder);
 * - no two concept folders (a top folder's subfolders, their own subfolders included: ml/runtime holds
 *   ml/runtime/simd) import each other, directly or round a longer loop: within a layer, too, data flows one way.
 *   The files directly in a top folder (cli/flags.ts) are shared by its subfolders and are not in this rule.
 *
 * Known exceptions (KNOWN below) are printed on every run with the work that removes them.
 *
 * Tests (`*_test.ts`, `*_test_support.ts`, test/) and bench/, docs/, scripts/ stand above the layers: they may
 * import any layer and reach into a folder's files, but the package rules hold for them too. It reads import statements as text (static,
 * `export … from`, literal dynamic imports and literal Worker modules; a computed one is itself a violation,
 * since text cannot follow it); it runs nothing.
 */
import { dirname, join, normalize, relative } from "node:path";

/** What each production layer may import (its own folder included). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  base: ["base"],
  features: ["base", "features"],
  engine: ["base", "features", "engine"],
  ml: ["base", "features", "engine", "ml"],
  server: ["base", "features", "engine", "server"],
  cli: ["base", "features", "engine", "ml", "server", "cli"],
  "main.ts": ["cli"],
  // The container's health check runs on its own (deno run deploy/healthcheck.ts): it may not reach into the
  // program, whose imports it would have to be granted permissions for.
  deploy: ["deploy"],
};

/** Packages only some top folders may import (a folder is named by its first path segment). */
export const PACKAGE_HOMES: readonly { readonly prefix: string; readonly homes: readonly string[] }[] = [
  { prefix: "@tensorflow/", homes: ["ml", "bench"] },
  { prefix: "npm:@tensorflow/", homes: ["ml", "bench"] },
  { prefix: "onnxruntime-node", homes: ["engine"] },
  { prefix: "npm:onnxruntime-node", homes: ["engine"] },
  // The HTTP app is server/'s; the flags are cli/'s (test/ drives the CLI as a user would).
  { prefix: "hono", homes: ["server"] },
  { prefix: "npm:hono", homes: ["server"] },
  { prefix: "commander", homes: ["cli", "test"] },
  { prefix: "npm:commander", homes: ["cli", "test"] },
  // ONNX files are written by ml/onnx (serving reads them through onnxruntime only); WebAssembly is assembled
  // by the build script, never at run time.
  { prefix: "onnx-proto", homes: ["ml"] },
  { prefix: "npm:onnx-proto", homes: ["ml"] },
  { prefix: "wabt", homes: ["scripts"] },
  { prefix: "npm:wabt", homes: ["scripts"] },
];

/**
 * Imports known to break a rule, each with the work that removes it (or why it stays); listed on every run so
 * they stay in sight. An entry that no longer matches anything fails the check, so the list cannot go stale.
 */
export const KNOWN: readonly { readonly file: string; readonly specifier: string; readonly why: string }[] = [
  {
    file: "cli/demo.ts",
    specifier: "./program.ts",
    why: "stays: the demo runs candlecast's own commands through the program (runCli), which loads each " +
      "command, the demo too, when it is typed; both sides are dynamic imports, so neither loads the other first",
  },
  {
    file: "ml/runtime/backend.ts",
    specifier: "import(specifier)",
    why: "stays: `--backend auto` probes the optional tfjs-node packages by name (NATIVE_PACKAGES, both " +
      "@tensorflow/*, so ml/'s own); a literal import of a package that is not installed fails `deno check`",
  },
  {
    file: "main.ts",
    specifier: 'import(["./cli", file].join("/")',
    why: "stays: the program is loaded after serve's SIGHUP is held, which a literal import (loaded ahead " +
      "with main.ts) defeats; only cli/ files are named, and `deno check` reads them through cli/**",
  },
];

/** Top folders outside the layers, and the folders never read. */
const HARNESS = new Set(["test", "bench", "docs", "scripts"]);
const SKIP = new Set(["node_modules", "dist", "data", "checkpoints"]);

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly rule: string;
}

/** Comments go first, a line's tail too (`a, // why` inside an import's braces), but not the `//` of a URL. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/[^\n]*/gm, "$1");
}

/** Import specifiers of a module: `import … from "x"`, `import "x"`, `export … from "x"`, `import("x")`. */
export function importsOf(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const statement =
    /(?:^|[;}\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s+)?["']([^"']+)["']/g;
  // A template literal without substitutions is a literal too; a Worker's module is an import by another name.
  const dynamic = /\bimport\(\s*(["'`])([^"'`$]+)\1\s*\)/g;
  const worker = /\bnew\s+Worker\(\s*new\s+URL\(\s*(["'`])([^"'`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  for (const match of code.matchAll(statement)) found.push(match[1]);
  for (const match of code.matchAll(dynamic)) found.push(match[2]);
  for (const match of code.matchAll(worker)) found.push(match[2]);
  return found;
}

/**
 * Module loads this text-reading check cannot follow: a dynamic import or a Worker whose module is computed
 * (`import(name)`, `` import(`./${x}.ts`) ``, `new Worker(url)`). Each is a violation, so no import slips past
 * the layering unseen; name the module as a literal instead.
 */
export function uncheckedLoads(source: string): string[] {
  const code = stripComments(source);
  const checks = [
    { call: /\bimport\(/g, literal: /^\s*(["'`])[^"'`$]+\1\s*\)/ },
    {
      call: /\bnew\s+Worker\(/g,
      literal: /^\s*new\s+URL\(\s*(["'`])[^"'`$]+\1\s*,\s*import\.meta\.url\s*\)/,
    },
  ];
  const found: string[] = [];
  for (const { call, literal } of checks) {
    for (const match of code.matchAll(call)) {
      const rest = code.slice(match.index + match[0].length);
      if (!literal.test(rest)) found.push(`${match[0]}${rest.slice(0, rest.search(/\)|\n|$/))})`);
    }
  }
  return found;
}

const topOf = (path: string) => path.includes("/") ? path.slice(0, path.indexOf("/")) : path;

export function isTestSupport(path: string): boolean {
  return topOf(path) === "test" || path.endsWith("_test.ts") || path.endsWith("_test_support.ts");
}

/** The concept folder a file belongs to: its top folder's subfolder (`ml/runtime/simd/x.ts` → `ml/runtime`). */
export function conceptOf(path: string): string {
  const parts = path.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : dirname(path);
}

/**
 * The loops of a directed graph (its strongly connected components of more than one node, by Tarjan's
 * algorithm), each sorted; the graphs here are a few hundred nodes, so recursion depth is no concern.
 */
function loopsOf(edges: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** Each loop as a violation naming one import inside it: the first node's import of another node in it. */
function loopViolations(
  edges: ReadonlyMap<string, ReadonlyMap<string, { file: string; specifier: string }>>,
  rule: (nodes: string[]) => string,
): Violation[] {
  return loopsOf(edges).map((nodes) => {
    const [, closing] = [...edges.get(nodes[0])!].find(([to]) => nodes.includes(to))!;
    return { file: closing.file, specifier: closing.specifier, rule: rule(nodes) };
  });
}

/** The relative imports of production code, as edges from each file's node to its target's (`nodeOf`). */
function importEdges(files: ReadonlyMap<string, string>, nodeOf: (path: string) => string | null) {
  const edges = new Map<string, Map<string, { file: string; specifier: string }>>();
  for (const [file, source] of files) {
    if (isTestSupport(file) || HARNESS.has(topOf(file))) continue;
    const from = nodeOf(file);
    if (from === null) continue;
    for (const specifier of importsOf(source)) {
      if (!specifier.startsWith(".")) continue;
      const target = normalize(join(dirname(file), specifier));
      if (target.startsWith("..")) continue;
      const to = nodeOf(target);
      if (to === null || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, { file, specifier });
    }
  }
  return edges;
}

/**
 * Import loops between concept folders of production code, each as the folders in the loop with one import
 * that closes it.
 */
export function folderCycles(files: ReadonlyMap<string, string>): Violation[] {
  // A top folder's own files (cli/flags.ts) are shared by its subfolders, which the top's commands import in
  // turn: parent and child are one unit, so only loops between sibling subfolders count.
  const edges = importEdges(files, (path) => {
    const concept = conceptOf(path);
    return concept.includes("/") ? concept : null;
  });
  return loopViolations(
    edges,
    (folders) => `folders import each other (${folders.join(" ↔ ")}): move the shared code below both`,
  );
}

/**
 * Import loops between files of production code, type-only imports included (a loop of them still ties the
 * files' meaning together): each file of one should hold what the others need, or the shared part a file of
 * its own (ml/checkpoints/errors.ts, cli/serve/options.ts).
 */
export function fileCycles(files: ReadonlyMap<string, string>): Violation[] {
  return loopViolations(
    importEdges(files, (path) => path),
    (loop) => `files import each other (${loop.join(" ↔ ")}): move what they share into a file of its own`,
  );
}

/**
 * Every broken rule in `files` (repo-relative path → source). `folders` are the repo's folders that hold an
 * index.ts (repo-relative); imports into them must name that index.ts.
 */
export function violations(files: ReadonlyMap<string, string>, indexed: ReadonlySet<string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const top = topOf(file);
    const testSide = isTestSupport(file) || HARNESS.has(top);
    // A new top folder (or a .ts beside main.ts) would be in no layer and so checked against none.
    if (!testSide && !(top in ALLOWED)) {
      out.push({
        file,
        specifier: "",
        rule: `${top} is in no layer: add it to ALLOWED or move the file into one`,
      });
    }
    for (const load of testSide ? [] : uncheckedLoads(source)) {
      out.push({
        file,
        specifier: load,
        rule: "a computed module cannot be checked: name it as a string literal",
      });
    }
    for (const specifier of importsOf(source)) {
      const add = (rule: string) => out.push({ file, specifier, rule });
      if (!specifier.startsWith(".")) {
        const limited = PACKAGE_HOMES.find((p) => specifier.startsWith(p.prefix));
        if (limited && !limited.homes.includes(top)) {
          add(`${limited.prefix.replace(/^npm:/, "")} may be imported only in ${limited.homes.join("/, ")}/`);
        }
        continue;
      }
      const target = normalize(join(dirname(file), specifier));
      if (target.startsWith("..")) {
        add("imports a file outside the repository");
        continue;
      }
      const targetTop = topOf(target);
      if (!testSide) {
        if (isTestSupport(target)) add("production code imports test support");
        else if (top in ALLOWED && targetTop in ALLOWED && !ALLOWED[top].includes(targetTop)) {
          add(
            `${top}/ may import only ${ALLOWED[top].map((l) => l.endsWith(".ts") ? l : `${l}/`).join(", ")}`,
          );
        } else if (top in ALLOWED && HARNESS.has(targetTop)) add(`production code imports ${targetTop}/`);
      }
      const targetDir = dirname(target);
      const inside = dirname(file) === targetDir || dirname(file).startsWith(`${targetDir}/`);
      if (!testSide && !inside && indexed.has(targetDir) && target !== `${targetDir}/index.ts`) {
        add(`imports into ${targetDir}/ go through ${targetDir}/index.ts`);
      }
    }
  }
  return [...out, ...folderCycles(files), ...fileCycles(files)];
}

async function walk(
  root: string,
  dir: string,
  files: Map<string, string>,
  indexed: Set<string>,
): Promise<void> {
  for await (const entry of Deno.readDir(join(root, dir))) {
    // Runtime folders are skipped at the top only: ml/data/ and ml/checkpoints/ are code.
    if (entry.name.startsWith(".") || (dir === "" && SKIP.has(entry.name))) continue;
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) await walk(root, path, files, indexed);
    else if (entry.isFile && path.endsWith(".ts")) {
      files.set(path, await Deno.readTextFile(join(root, path)));
      if (entry.name === "index.ts" && dir) indexed.add(dir);
    }
  }
}

/** Reads every .ts file under `root` (skipping dependencies, build and runtime folders) and checks it. */
export async function checkTree(root: string): Promise<{ files: number; violations: Violation[] }> {
  const files = new Map<string, string>();
  const indexed = new Set<string>();
  await walk(root, "", files, indexed);
  return { files: files.size, violations: violations(files, indexed) };
}

/** Splits `found` into the known exceptions and the rest; a known entry that matched nothing is an error too. */
export function applyKnown(
  found: readonly Violation[],
  list: typeof KNOWN = KNOWN,
): { known: Violation[]; errors: Violation[] } {
  const isKnown = (v: Violation) => list.some((k) => k.file === v.file && k.specifier === v.specifier);
  const stale = list.filter((k) => !found.some((v) => k.file === v.file && k.specifier === v.specifier))
    .map((k) => ({ file: k.file, specifier: k.specifier, rule: "a known exception that no longer occurs" }));
  return { known: found.filter(isKnown), errors: [...found.filter((v) => !isKnown(v)), ...stale] };
}

if (import.meta.main) {
  const root = relative(Deno.cwd(), new URL("..", import.meta.url).pathname) || ".";
  const { files, violations: all } = await checkTree(root);
  const { known, errors: found } = applyKnown(all);
  for (const v of known) {
    console.log(`known: ${v.file}: "${v.specifier}": ${KNOWN.find((k) => k.file === v.file)?.why}`);
  }
  for (const v of found) console.log(`${v.file}: "${v.specifier}": ${v.rule}`);
  if (found.length > 0) {
    console.log(
      `candlecast: ${found.length} import(s) break the layering (${files} files read)\n` +
        "hint: move the code to the lowest layer that needs it, or import the folder's index.ts; see DESIGN.md",
    );
    Deno.exit(1);
  }
  console.log(`layers ok: ${files} files, base ← features ← engine ← {ml, server} ← cli ← main.ts`);
}
