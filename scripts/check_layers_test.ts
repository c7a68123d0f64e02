import assert from "node:assert/strict";
import { applyKnown, checkTree, importsOf, uncheckedLoads, violations } from "./check_layers.ts";

const rulesOf = (files: Record<string, string>, indexed: string[] = []) =>
  violations(new Map(Object.entries(files)), new Set(indexed)).map((v) =>
    `${v.file} ${v.specifier}: ${v.rule}`
  );

Deno.test("the repository keeps the layering (what `deno task check:layers` checks in CI)", async () => {
  const { files, violations: found } = await checkTree(new URL("..", import.meta.url).pathname);
  assert.ok(files > 100, `read only ${files} files`);
  assert.deepEqual(applyKnown(found).errors, []);
});

Deno.test("importsOf reads static, type, re-export, side-effect and literal dynamic imports, not comments", () => {
  const source = [
    `import assert from "node:assert/strict";`,
    `import {\n  a,\n  type B,\n} from "./a.ts";`,
    `import type { C } from "../c.ts";`,
    `export { d } from "./d.ts";`,
    `export * from "./e.ts";`,
    `import "./layers/index.ts";`,
    `const m = await import("./f.ts");`,
    `// import { x } from "../cli/commented.ts";`,
    `import {\n  g, // from "../cli/inline.ts"\n} from "./g.ts";`,
    `const url = "https://example.com/x"; // import("./h.ts")`,
    `/* import { y } from "../cli/block.ts"; */`,
    `const s = "from here";`,
  ].join("\n");
  assert.deepEqual(importsOf(source), [
    "node:assert/strict",
    "./a.ts",
    "../c.ts",
    "./d.ts",
    "./e.ts",
    "./layers/index.ts",
    "./g.ts",
    "./f.ts",
  ]);
});

// Built, so that this file's own text holds no Worker of a literal path for the repository check to read.
const worker = (path: string) => `const w = new Worker(new URL("${path}", import.meta.url));`;

Deno.test("a Worker's module and a template literal are imports; a computed module is a violation of its own", () => {
  const source = [
    'const w = new Worker(new URL("./replica_worker.ts", import.meta.url), { type: "module" });',
    "const m = await import(`./plain.ts`);",
    "const n = await import(name);",
    "const o = await import(`./${kind}.ts`);",
    'const v = new Worker(url, { type: "module" });',
    "// const c = await import(commented);",
  ].join("\n");
  assert.deepEqual(importsOf(source), ["./plain.ts", "./replica_worker.ts"]);
  assert.deepEqual(uncheckedLoads(source), [
    "import(name)",
    "import(`./${kind}.ts`)",
    'new Worker(url, { type: "module" })',
  ]);
  assert.deepEqual(
    rulesOf({
      "ml/train/pool.ts": worker("../../cli/worker.ts"),
      "server/plugins.ts": "const p = await import(`./plugins/${name}.ts`);",
      "ml/train/pool_test.ts": "const t = await import(name);",
    }),
    [
      "ml/train/pool.ts ../../cli/worker.ts: ml/ may import only base/, features/, engine/, ml/",
      "server/plugins.ts import(`./plugins/${name}.ts`): a computed module cannot be checked: name it as a string literal",
    ],
  );
});

Deno.test("an upward import fails: nothing imports cli/, server/ and ml/ do not import each other, deploy/ stands alone, base/ imports nothing above it", () => {
  assert.deepEqual(
    rulesOf({
      "ml/onnx/export.ts": `import { VERSION } from "../../cli/version.ts";`,
      "server/app.ts": `import { decideClass } from "../ml/evaluate/decision.ts";`,
      "engine/response.ts": `import { x } from "../server/log.ts";`,
      "features/a.ts": `import { y } from "../engine/index.ts";`,
      "base/a.ts": `import { v } from "../features/index.ts";\nimport { u } from "./b.ts";`,
      "features/b.ts": `import { t } from "../base/index.ts";`,
      "cli/predict.ts": `import { z } from "../ml/onnx/index.ts";\nimport { w } from "../engine/index.ts";`,
      "main.ts": `import { runCli } from "./cli/program.ts";`,
      "deploy/healthcheck.ts": `import { VERSION } from "../engine/index.ts";`,
    }),
    [
      "ml/onnx/export.ts ../../cli/version.ts: ml/ may import only base/, features/, engine/, ml/",
      "server/app.ts ../ml/evaluate/decision.ts: server/ may import only base/, features/, engine/, server/",
      "engine/response.ts ../server/log.ts: engine/ may import only base/, features/, engine/",
      "features/a.ts ../engine/index.ts: features/ may import only base/, features/",
      "base/a.ts ../features/index.ts: base/ may import only base/",
      "deploy/healthcheck.ts ../engine/index.ts: deploy/ may import only deploy/",
    ],
  );
});

Deno.test("tfjs only in ml/ (and bench/), onnxruntime only in engine/ — tests included", () => {
  assert.deepEqual(
    rulesOf({
      "cli/train/run.ts": `import * as tf from "@tensorflow/tfjs";`,
      "server/app_test.ts": `import type * as tf from "@tensorflow/tfjs";`,
      "ml/onnx/verify.ts": `import * as ort from "onnxruntime-node";`,
      "test/onnx.ts": `import * as ort from "onnxruntime-node";`,
      "ml/models/a.ts": `import * as tf from "@tensorflow/tfjs";`,
      "bench/train.ts": `import * as tf from "@tensorflow/tfjs";`,
      "engine/onnx_predictor.ts": `import * as ort from "onnxruntime-node";`,
    }),
    [
      "cli/train/run.ts @tensorflow/tfjs: @tensorflow/ may be imported only in ml/, bench/",
      "server/app_test.ts @tensorflow/tfjs: @tensorflow/ may be imported only in ml/, bench/",
      "ml/onnx/verify.ts onnxruntime-node: onnxruntime-node may be imported only in engine/",
      "test/onnx.ts onnxruntime-node: onnxruntime-node may be imported only in engine/",
    ],
  );
});

Deno.test("production never imports test support; tests may reach anywhere", () => {
  assert.deepEqual(
    rulesOf({
      "server/app.ts": `import { FakePredictor } from "../test/fake_predictor.ts";`,
      "ml/train/loop.ts": `import { tiny } from "./loop_test_support.ts";`,
      "cli/serve.ts": `import { x } from "./serve_test.ts";`,
      "server/app_test.ts": `import { FakePredictor } from "../test/fake_predictor.ts";`,
      "test/stand_in_checkpoint.ts": `import { frameModel } from "../ml/onnx/frame.ts";`,
      "test/cli.ts": `import { runCli } from "../cli/program.ts";`,
    }, ["ml/onnx"]),
    [
      "server/app.ts ../test/fake_predictor.ts: production code imports test support",
      "ml/train/loop.ts ./loop_test_support.ts: production code imports test support",
      "cli/serve.ts ./serve_test.ts: production code imports test support",
    ],
  );
});

Deno.test("imports into a folder with an index.ts name it, except from inside that folder", () => {
  assert.deepEqual(
    rulesOf({
      "cli/export.ts": `import { readPreprocessorFile } from "../engine/checkpoint_files.ts";`,
      "ml/onnx/tfjs_layers.ts": `import { sinusoidalTable } from "../layers/positional_encoding.ts";`,
      "cli/predict.ts": `import { loadPredictor } from "../engine/index.ts";`,
      "engine/response.ts": `import { decideClass } from "./decision.ts";`,
      "server/models/watcher.ts": `import { createApp } from "../app.ts";`,
    }, ["engine", "ml/layers", "server"]),
    [
      "cli/export.ts ../engine/checkpoint_files.ts: imports into engine/ go through engine/index.ts",
      "ml/onnx/tfjs_layers.ts ../layers/positional_encoding.ts: imports into ml/layers/ go through " +
      "ml/layers/index.ts",
    ],
  );
});

Deno.test("a known exception is listed, not failed; one that no longer occurs fails", () => {
  const known = { file: "cli/train/run.ts", specifier: "@tensorflow/tfjs", rule: "…" };
  const list = [{ file: known.file, specifier: known.specifier, why: "…" }];
  assert.deepEqual(applyKnown([known], list), { known: [known], errors: [] });
  assert.equal(applyKnown([], list).errors.length, 1);
  // Not in the repository's list: the same import is an error there.
  const { known: listed, errors } = applyKnown([known]);
  assert.deepEqual(listed, []);
  assert.ok(errors.includes(known));
});

Deno.test("runtime folders are skipped at the top only: ml/data/ and ml/checkpoints/ are read", async () => {
  // Before: `data` and `checkpoints` were skipped at any depth, so five imports in ml/ went unchecked.
  const root = await Deno.makeTempDir();
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${root}/${path}`, text);
    };
    await write("data/x.ts", 'import "../cli/a.ts";\n');
    await write("checkpoints/x.ts", 'import "../cli/a.ts";\n');
    await write("cli/a.ts", "");
    await write("ml/data/x.ts", 'import "../../cli/a.ts";\n');
    await write("ml/checkpoints/x.ts", 'import "../../cli/a.ts";\n');
    const { files, violations: found } = await checkTree(root);
    assert.equal(files, 3);
    assert.deepEqual(found.map((v) => v.file).sort(), ["ml/checkpoints/x.ts", "ml/data/x.ts"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("hono only in server/, commander only in cli/ and test/; a file in no layer is named", () => {
  const files = new Map([
    ["features/a.ts", `import { Hono } from "hono";`],
    ["ml/b.ts", `import { Command } from "commander";`],
    ["server/app.ts", `import { Hono } from "hono";`],
    ["cli/c.ts", `import { Command } from "commander";`],
    ["test/cli.ts", `import { Command } from "commander";`],
    ["lib/d.ts", `export const d = 1;`],
    ["helper.ts", `export const e = 1;`],
    ["main.ts", `import "./cli/c.ts";`],
    ["readme_test.ts", `import "./cli/c.ts";`],
  ]);
  assert.deepEqual(
    violations(files, new Set()).map((v) => `${v.file}: ${v.rule}`),
    [
      "features/a.ts: hono may be imported only in server/",
      "ml/b.ts: commander may be imported only in cli/, test/",
      "lib/d.ts: lib is in no layer: add it to ALLOWED or move the file into one",
      "helper.ts: helper.ts is in no layer: add it to ALLOWED or move the file into one",
    ],
  );
});

Deno.test("onnx-proto only in ml/ (serving reads ONNX through onnxruntime), wabt only in scripts/", () => {
  const files = new Map([
    ["engine/a.ts", `import onnxProto from "onnx-proto";`],
    ["ml/onnx/graph.ts", `import onnxProto from "onnx-proto";`],
    ["ml/runtime/b.ts", `import wabtInit from "wabt";`],
    ["scripts/build_wasm.ts", `import wabtInit from "wabt";`],
  ]);
  assert.deepEqual(
    violations(files, new Set()).map((v) => `${v.file}: ${v.rule}`),
    [
      "engine/a.ts: onnx-proto may be imported only in ml/",
      "ml/runtime/b.ts: wabt may be imported only in scripts/",
    ],
  );
});

Deno.test("subfolders that import each other, directly or round a loop, fail; a top folder's own files do not", () => {
  assert.deepEqual(
    rulesOf({
      // A direct pair, through a nested folder (ml/runtime/simd belongs to ml/runtime).
      "ml/runtime/model_io.ts": `import "../layers/index.ts";`,
      "ml/layers/step_ops.ts": `import { tnMatMul } from "../runtime/simd/index.ts";`,
      // A loop of three.
      "cli/a/x.ts": `import { y } from "../b/y.ts";`,
      "cli/b/y.ts": `import { z } from "../c/z.ts";`,
      "cli/c/z.ts": `import { x } from "../a/x.ts";`,
      // Parent and child import each other: one unit, not a loop.
      "server/app.ts": `import { route } from "./routes/index.ts";`,
      "server/routes/index.ts": `import { app } from "../app.ts";`,
      // One way only: fine.
      "ml/models/index.ts": `import "../layers/index.ts";`,
      // Tests may import anything.
      "ml/layers/lstm_test.ts": `import "../models/index.ts";`,
      // (The files' own loops are fileCycles', below.)
    }).filter((rule) => !rule.includes("files import each other")),
    [
      "cli/a/x.ts ../b/y.ts: folders import each other (cli/a ↔ cli/b ↔ cli/c): move the shared code below both",
      "ml/layers/step_ops.ts ../runtime/simd/index.ts: folders import each other (ml/layers ↔ ml/runtime): move the shared code below both",
    ],
  );
});

Deno.test("files that import each other, type-only or round a loop, fail; tests and one-way imports do not", () => {
  assert.deepEqual(
    rulesOf({
      // The ml/checkpoints loop fixed by errors.ts: a type or class imported back.
      "ml/checkpoints/store.ts": `import { readHistory } from "./history.ts";`,
      "ml/checkpoints/history.ts": `import { CheckpointStoreError } from "./store.ts";`,
      // Type-only, round three files.
      "ml/evaluate/a.ts": `import type { B } from "./b.ts";`,
      "ml/evaluate/b.ts": `import type { C } from "./c.ts";`,
      "ml/evaluate/c.ts": `import type { A } from "./a.ts";`,
      // One way, and a test importing back: fine.
      "ml/evaluate/d.ts": `import { a } from "./a.ts";`,
      "ml/evaluate/a_test.ts": `import { d } from "./d.ts";`,
    }),
    [
      "ml/checkpoints/history.ts ./store.ts: files import each other (ml/checkpoints/history.ts ↔ ml/checkpoints/store.ts): move what they share into a file of its own",
      "ml/evaluate/a.ts ./b.ts: files import each other (ml/evaluate/a.ts ↔ ml/evaluate/b.ts ↔ ml/evaluate/c.ts): move what they share into a file of its own",
    ],
  );
});
