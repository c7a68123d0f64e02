import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { createApp } from "../app.ts";
import { FakePredictor, predictBody } from "../../test/fake_predictor.ts";
import { versionHeld } from "../../test/version_held.ts";
import { ModelStore } from "./store.ts";
import { CheckpointWatcher, type LoadModel } from "./watcher.ts";

/** A checkpoints folder with version folders and a `current` symlink switched the way `train` does it. */
async function checkpoints(versions: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "candlecast-watch-" });
  for (const v of versions) await Deno.mkdir(join(dir, v));
  const current = join(dir, "current");
  const point = async (version: string) => {
    const tmp = join(dir, `.current-${crypto.randomUUID()}`);
    await Deno.symlink(version, tmp);
    await Deno.rename(tmp, current); // atomic replace
  };
  return { dir, current, point, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** Loads a FakePredictor named after the version folder; records every predictor it made. */
function fakeLoader(options: { delayMs?: number; broken?: Set<string> } = {}) {
  const made: FakePredictor[] = [];
  const load: LoadModel = async (versionDir) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const version = basename(versionDir);
    if (options.broken?.has(version)) throw new Error(`${version}/model.onnx is corrupt`);
    const p = new FakePredictor({ version, delayMs: options.delayMs });
    made.push(p);
    return p;
  };
  return { load, made };
}

const post = (body: unknown) => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test("a promote under concurrent load: no request fails, none mixes versions, the old model closes", async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const { load, made } = fakeLoader({ delayMs: 2 });
  const watcher = new CheckpointWatcher(store, { pointer: cp.current, load, intervalMs: 10 });
  assert.equal(await watcher.start(), "loaded");
  const app = createApp(store, { log: () => {} });

  let installedAt = Infinity;
  let stop = false;
  const seen: { started: number; version: string }[] = [];
  const failures: string[] = [];
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const started = performance.now();
      const batch = i % 3 === 0;
      const res = batch
        ? await app.request(
          "/predict/batch",
          post({ requests: [predictBody(`S${w}`), predictBody(`T${w}`)] }),
        )
        : await app.request("/predict", post(predictBody(`S${w}`)));
      const text = await res.text();
      if (res.status !== 200) {
        failures.push(`${res.status} ${text}`);
        continue;
      }
      const body = JSON.parse(text);
      const versions: string[] = batch
        ? body.predictions.map((p: { model_version: string }) => p.model_version)
        : [body.model_version];
      if (new Set(versions).size !== 1) failures.push(`one batch, several versions: ${versions}`);
      seen.push({ started, version: versions[0] });
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await cp.point("v2_2026-01-08");
  while (store.status().predictor?.info.version !== "v2_2026-01-08") {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  installedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  stop = true;
  await Promise.all(workers);
  await watcher.stop();

  assert.deepEqual(failures, []);
  assert.ok(seen.some((s) => s.version === "v1_2026-01-01"), "v1 answered before the switch");
  assert.ok(seen.some((s) => s.version === "v2_2026-01-08"), "v2 answered after the switch");
  const lateV1 = seen.filter((s) => s.started > installedAt + 1 && s.version !== "v2_2026-01-08");
  assert.deepEqual(lateV1, [], "requests started after the switch are answered by v2");
  assert.deepEqual(made.map((p) => [p.info.version, p.closed]), [["v1_2026-01-01", true], [
    "v2_2026-01-08",
    false,
  ]]);
  assert.deepEqual(store.status().reloads, { succeeded: 2, failed: 0 });
  await store.close();
  assert.ok(made[1].closed);
  await cp.cleanup();
});

Deno.test("a version that fails to load is reported once; the serving model keeps serving", async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const logs: Record<string, unknown>[] = [];
  const { load } = fakeLoader({ broken: new Set(["v2_2026-01-08"]) });
  let loads = 0;
  const counting: LoadModel = (dir) => {
    loads++;
    return load(dir);
  };
  const watcher = new CheckpointWatcher(store, {
    pointer: cp.current,
    load: counting,
    log: (e) => logs.push(e),
  });
  assert.equal(await watcher.refresh(), "loaded");
  await cp.point("v2_2026-01-08");
  assert.equal(await watcher.refresh(), "failed");
  assert.equal(await watcher.refresh(), "unchanged", "not retried until the pointer moves");
  assert.equal(loads, 2);
  assert.equal(store.status().predictor?.info.version, "v1_2026-01-01");
  assert.match(store.status().problem ?? "", /v2_2026-01-08: v2_2026-01-08\/model\.onnx is corrupt/);
  assert.deepEqual(store.status().reloads, { succeeded: 1, failed: 1 });
  assert.deepEqual(logs.map((e) => e.event), ["model_loaded", "model_load_failed"]);
  assert.equal(logs[1].still_serving, "v1_2026-01-01", "the event says what keeps answering");
  // Before: no hint, though /health stays 200 and this line is the only sign a restart would serve nothing.
  assert.equal(
    logs[1].hint,
    "restore v2_2026-01-08's files, or point " + cp.current +
      " at a version that loads ('candlecast models " +
      `rollback', or 'candlecast models promote VERSION' after 'candlecast models list --checkpoints ${cp.dir}'); ` +
      "serve retries it, at once when its files change",
  );
  const app = createApp(store, { log: () => {} });
  assert.equal((await app.request("/health")).status, 200);
  await watcher.stop();
  await store.close();
  await cp.cleanup();
});

Deno.test("a worker started while `current` is broken or missing serves the fallback, then follows `current`", async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15"]);
  await cp.point("v2_2026-01-08");
  const store = new ModelStore();
  const logs: Record<string, unknown>[] = [];
  const { load } = fakeLoader({ broken: new Set(["v2_2026-01-08"]) });
  // Before: the restarted worker listened with no model, and about half of /predict answered 503.
  const watcher = new CheckpointWatcher(store, {
    pointer: cp.current,
    load,
    log: (e) => logs.push(e),
    fallback: join(cp.dir, "v1_2026-01-01"),
    intervalMs: 60_000,
  });
  assert.equal(await watcher.start(), "loaded");
  assert.equal(store.status().predictor?.info.version, "v1_2026-01-01");
  assert.equal(watcher.served, join(cp.dir, "v1_2026-01-01"));
  assert.deepEqual(logs.map((e) => [e.event, e.fallback ?? false]), [
    ["model_load_failed", false],
    ["model_loaded", true],
  ]);
  assert.equal((await createApp(store, { log: () => {} }).request("/health")).status, 200);
  // `current` still rules: a good version promoted afterwards replaces the fallback.
  await cp.point("v3_2026-01-15");
  assert.equal(await watcher.refresh(), "loaded");
  assert.equal(store.status().predictor?.info.version, "v3_2026-01-15");
  await watcher.stop();
  await store.close();
  // A missing `current` too.
  await Deno.remove(cp.current);
  const alone = new ModelStore();
  const second = new CheckpointWatcher(alone, {
    pointer: cp.current,
    load,
    fallback: join(cp.dir, "v1_2026-01-01"),
    intervalMs: 60_000,
  });
  assert.equal(await second.start(), "loaded");
  assert.equal(alone.status().predictor?.info.version, "v1_2026-01-01");
  await second.stop();
  await alone.close();
  await cp.cleanup();
});

Deno.test("`current` moved away or left dangling while a model serves: it keeps serving, and a failed reload is counted", async () => {
  const cp = await checkpoints(["v1_2026-01-01"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const { load } = fakeLoader();
  const watcher = new CheckpointWatcher(store, { pointer: cp.current, load, log: () => {} });
  assert.equal(await watcher.refresh(), "loaded");
  await cp.point("v9_gone"); // dangling
  assert.equal(await watcher.refresh(), "missing");
  assert.equal(await watcher.refresh(), "missing");
  // Before: { succeeded: 1, failed: 0 }, nothing for an alert to see.
  assert.deepEqual(store.status().reloads, { succeeded: 1, failed: 1 }, "counted once, not once a poll");
  assert.equal(store.status().predictor?.info.version, "v1_2026-01-01");
  assert.equal((await createApp(store, { log: () => {} }).request("/health")).status, 200);
  await watcher.stop();
  await store.close();
  await cp.cleanup();
});

Deno.test("`current` left pointing at a deleted version: model_missing names it and says roll back, not 'train one'", async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08"]);
  await cp.point("v2_2026-01-08");
  const store = new ModelStore();
  const { load } = fakeLoader();
  const events: Record<string, unknown>[] = [];
  const watcher = new CheckpointWatcher(store, { pointer: cp.current, load, log: (r) => events.push(r) });
  assert.equal(await watcher.start(), "loaded");
  await Deno.remove(join(cp.dir, "v2_2026-01-08"), { recursive: true });
  assert.equal(await watcher.refresh(), "missing");
  // Before: "serve loads it as soon as it appears: train one with 'candlecast train'" (hours) where a
  // rollback fixes it in seconds.
  assert.equal(
    events.find((e) => e.event === "model_missing")?.hint,
    `${cp.current} points at v2_2026-01-08, which is not there (deleted or moved): point it at a version that ` +
      "is ('candlecast models rollback', or 'candlecast models promote VERSION' after 'candlecast models list " +
      `--checkpoints ${cp.dir}'); serve loads it as soon as it resolves`,
  );
  assert.match(store.status().problem ?? "", /it points at v2_2026-01-08, deleted or moved; still serving/);
  await watcher.stop();
  await store.close();
  // A serve started on it: the store's problem says the same, and /predict's 503 names no "train one".
  const fresh = new ModelStore();
  const restarted = new CheckpointWatcher(fresh, { pointer: cp.current, load, log: () => {} });
  assert.equal(await restarted.start(), "missing");
  assert.match(fresh.status().problem ?? "", /it points at v2_2026-01-08, which is not there; roll back/);
  const answer = await createApp(fresh, { log: () => {} }).request("/predict", post(predictBody()));
  assert.equal(answer.status, 503);
  assert.doesNotMatch((await answer.json()).detail, /train one \(/);
  await restarted.stop();
  await cp.cleanup();
});

Deno.test("the served version's files changed on disk: said at once, reloaded; broken, the loaded model stays", async () => {
  // Before: nothing was said, so a restart found a model.onnx deleted or replaced after the fact.
  const cp = await checkpoints(["v1_2026-01-01"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const logs: Record<string, unknown>[] = [];
  const broken = new Set<string>();
  const { load, made } = fakeLoader({ broken });
  const watcher = new CheckpointWatcher(store, { pointer: cp.current, load, log: (e) => logs.push(e) });
  assert.equal(await watcher.refresh(), "loaded");
  assert.equal(await watcher.refresh(), "unchanged", "files as loaded: nothing to do");

  // Re-exported in place: loaded again.
  await Deno.writeTextFile(join(cp.dir, "v1_2026-01-01", "model.onnx"), "new bytes");
  assert.equal(await watcher.refresh(), "loaded");
  assert.equal(made.length, 2);

  // Deleted (here: the loader finds it broken): the model in memory keeps answering, and the events say both.
  broken.add("v1_2026-01-01");
  await Deno.remove(join(cp.dir, "v1_2026-01-01", "model.onnx"));
  assert.equal(await watcher.refresh(), "failed");
  assert.equal(await watcher.refresh(), "unchanged", "reported once, retried on its backoff");
  assert.deepEqual(logs.map((e) => e.event), [
    "model_loaded",
    "model_files_changed",
    "model_loaded",
    "model_files_changed",
    "model_load_failed",
  ]);
  assert.equal(logs[3].version, "v1_2026-01-01");
  assert.equal(logs[4].still_serving, "v1_2026-01-01");
  assert.equal(store.status().predictor, made[1], "the last good load keeps serving");
  await watcher.stop();
  await store.close();
  await cp.cleanup();
});

Deno.test("no model at start: 503 until `current` appears, then it is loaded", async () => {
  const cp = await checkpoints(["v1_2026-01-01"]);
  const store = new ModelStore();
  const { load } = fakeLoader();
  const events: Record<string, unknown>[] = [];
  const watcher = new CheckpointWatcher(store, {
    pointer: cp.current,
    load,
    intervalMs: 10,
    log: (r) => events.push(r),
  });
  assert.equal(await watcher.start(), "missing");
  // The log says what to do too (it said the pointer alone): a mistyped --checkpoint reads just like this.
  const missing = events.find((e) => e.event === "model_missing");
  assert.equal(missing?.pointer, cp.current);
  assert.match(String(missing?.hint), /train one with 'candlecast train', or check --checkpoint/);
  const app = createApp(store, { log: () => {} });
  const health = await app.request("/health");
  assert.equal(health.status, 503);
  // The open /health says why in general terms; the path is only in the log and behind auth (issue 13.6).
  const detail = (await health.json()).detail;
  assert.match(detail, /no model installed: train one/);
  assert.doesNotMatch(detail, /\//);
  // /predict says so in the same general terms: the path stays in the server's log (reviewer, defect 4).
  const res = await app.request("/predict", post(predictBody()));
  assert.equal(res.status, 503);
  const predictDetail = (await res.json()).detail;
  assert.match(predictDetail, /^no model loaded: none is installed/);
  assert.doesNotMatch(predictDetail, /\//);
  await cp.point("v1_2026-01-01");
  for (let i = 0; i < 200 && store.status().predictor === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal((await app.request("/predict", post(predictBody()))).status, 200);
  await watcher.stop();
  await store.close();
  await cp.cleanup();
});

Deno.test("a model whose warm-up output is not a distribution is refused and closed", async () => {
  const cp = await checkpoints(["v1_2026-01-01"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const broken = new FakePredictor();
  broken.predict = () =>
    Promise.resolve([{ probabilities: [NaN, 0, 0], expectedReturn: 0, attention: null }]);
  const watcher = new CheckpointWatcher(store, { pointer: cp.current, load: () => Promise.resolve(broken) });
  assert.equal(await watcher.refresh(), "failed");
  assert.equal(store.status().predictor, null);
  assert.match(store.status().problem ?? "", /unusable warm-up prediction/);
  assert.ok(broken.closed);
  await watcher.stop();
  await cp.cleanup();
});

Deno.test("stop() waits for a load in progress and installs nothing after it", async () => {
  const cp = await checkpoints(["v1_2026-01-01"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const slow = new FakePredictor();
  const watcher = new CheckpointWatcher(store, {
    pointer: cp.current,
    load: () => new Promise((resolve) => setTimeout(() => resolve(slow), 30)),
  });
  const refreshing = watcher.refresh();
  await watcher.stop();
  await refreshing;
  assert.equal(store.status().predictor, null);
  assert.ok(slow.closed);
  await cp.cleanup();
});

Deno.test({
  name: "stop() while the fallback version loads: nothing is installed after it, and the fallback is let go",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08"]);
  await Deno.writeTextFile(join(cp.dir, "v1_2026-01-01", "manifest.json"), "{}");
  await cp.point("v2_2026-01-08");
  const store = new ModelStore();
  const slow = new FakePredictor({ version: "v1_2026-01-01" });
  let loading: () => void = () => {};
  const fallbackLoading = new Promise<void>((resolve) => loading = resolve);
  const watcher = new CheckpointWatcher(store, {
    pointer: cp.current,
    load: (dir) => {
      if (basename(dir) === "v2_2026-01-08") return Promise.reject(new Error("v2 is corrupt"));
      loading();
      return new Promise((resolve) => setTimeout(() => resolve(slow), 50));
    },
    fallback: join(cp.dir, "v1_2026-01-01"),
    intervalMs: 60_000,
  });
  const starting = watcher.start();
  await fallbackLoading;
  await watcher.stop();
  await starting;
  // Before: installed after stop(), and its hold on v1 never let go.
  assert.equal(store.status().predictor, null);
  assert.ok(slow.closed);
  assert.ok(!(await versionHeld(join(cp.dir, "v1_2026-01-01"))), "the fallback is not held");
  await cp.cleanup();
});

Deno.test("a failed version is retried with backoff, at once when its files change, and /health shows no paths", async () => {
  const cp = await checkpoints(["v1_2026-01-01"]);
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const broken = new Set(["v1_2026-01-01"]);
  const { load } = fakeLoader({ broken });
  let loads = 0;
  const watcher = new CheckpointWatcher(store, {
    pointer: cp.current,
    load: (dir) => (loads++, load(dir)),
    retryBaseMs: 150,
    retryMaxMs: 1000,
  });
  assert.equal(await watcher.refresh(), "failed");
  const app = createApp(store, { log: () => {} });
  const health = await app.request("/health");
  assert.equal(health.status, 503);
  const text = await health.text();
  assert.doesNotMatch(text, /\/|corrupt/, "no path or load error on the open /health");
  assert.match(text, /"ready":false/);

  assert.equal(await watcher.refresh(), "unchanged", "not before the backoff");
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(await watcher.refresh(), "failed", "tried again after 150 ms");
  assert.equal(await watcher.refresh(), "unchanged", "the next wait is 300 ms");
  assert.equal(loads, 2);

  // Someone fixes the files: the next look loads it without waiting for the backoff.
  broken.delete("v1_2026-01-01");
  await new Promise((resolve) => setTimeout(resolve, 20)); // a distinct modification time
  await Deno.writeTextFile(join(cp.dir, "v1_2026-01-01", "model.onnx"), "fixed");
  assert.equal(await watcher.refresh(), "loaded");
  assert.equal(loads, 3);
  const healthy = await app.request("/health");
  assert.equal(healthy.status, 200);
  assert.match(await healthy.text(), /"ready":true/);
  await watcher.stop();
  await store.close();
  await cp.cleanup();
});

Deno.test({
  name:
    "the served version is held against retrain --keep (a shared lock on its folder), let go on a swap, a failed load and stop",
  // A shared lock on the version folder: Windows opens no folder as a file (serve holds the manifest there).
  ignore: Deno.build.os === "windows",
}, async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15"]);
  for (const v of ["v1_2026-01-01", "v2_2026-01-08", "v3_2026-01-15"]) {
    await Deno.writeTextFile(join(cp.dir, v, "manifest.json"), "{}");
  }
  const held = (v: string) => versionHeld(join(cp.dir, v));
  await cp.point("v1_2026-01-01");
  const store = new ModelStore();
  const broken = new Set(["v3_2026-01-15"]);
  const { load } = fakeLoader({ broken });
  const watcher = new CheckpointWatcher(store, { pointer: cp.current, load });
  assert.equal(await watcher.start(), "loaded");
  assert.ok(await held("v1_2026-01-01"), "served: held");
  assert.ok(!(await held("v2_2026-01-08")));
  // Held read-only: nothing is written into the version (a read-only store serves as before).
  assert.deepEqual([...Deno.readDirSync(join(cp.dir, "v1_2026-01-01"))].map((e) => e.name), [
    "manifest.json",
  ]);
  await cp.point("v2_2026-01-08");
  assert.equal(await watcher.refresh(), "loaded");
  assert.ok(!(await held("v1_2026-01-01")), "replaced: let go");
  assert.ok(await held("v2_2026-01-08"));
  // A version that fails to load is not served, so not held; the one still serving stays held.
  await cp.point("v3_2026-01-15");
  assert.equal(await watcher.refresh(), "failed");
  assert.ok(!(await held("v3_2026-01-15")));
  assert.ok(await held("v2_2026-01-08"));
  // An export into the served version rewrites its manifest.json atomically, and the reload that follows
  // fails: v2 answers on from memory, and is still held (a lock on the old manifest.json held nothing).
  await cp.point("v2_2026-01-08");
  broken.add("v2_2026-01-08");
  await new Promise((resolve) => setTimeout(resolve, 20)); // a distinct modification time
  await Deno.writeTextFile(join(cp.dir, "v2_2026-01-08", ".manifest.json.tmp"), '{"onnx_sha256":"x"}');
  await Deno.rename(
    join(cp.dir, "v2_2026-01-08", ".manifest.json.tmp"),
    join(cp.dir, "v2_2026-01-08", "manifest.json"),
  );
  assert.equal(await watcher.refresh(), "failed");
  assert.equal(store.status().predictor?.info.version, "v2_2026-01-08");
  assert.ok(await held("v2_2026-01-08"), "rewritten manifest: still held");
  await watcher.stop();
  assert.ok(!(await held("v2_2026-01-08")), "stopped: let go");
  await store.close();
  await cp.cleanup();
});

Deno.test("a pinned --checkpoint version deleted: model_missing says that version is gone, not 'train one'", async () => {
  const cp = await checkpoints(["v1_2026-01-01", "v2_2026-01-08"]);
  const pinned = join(cp.dir, "v1_2026-01-01");
  const store = new ModelStore();
  const { load } = fakeLoader();
  const events: Record<string, unknown>[] = [];
  const watcher = new CheckpointWatcher(store, { pointer: pinned, load, log: (r) => events.push(r) });
  assert.equal(await watcher.start(), "loaded");
  await Deno.remove(pinned, { recursive: true });
  assert.equal(await watcher.refresh(), "missing");
  const missing = events.find((e) => e.event === "model_missing");
  // Before: "train one with 'candlecast train'", which writes a version this serve would never load.
  assert.doesNotMatch(String(missing?.hint), /train one/);
  assert.equal(
    missing?.hint,
    "--checkpoint names version v1_2026-01-01, which is not there (deleted or moved): point --checkpoint at " +
      `a version that is ('candlecast models list --checkpoints ${cp.dir}' shows them), or at ` +
      `${join(cp.dir, "current")} to follow promotions; serve loads v1_2026-01-01 if it comes back`,
  );
  // It answers on from memory; the log and the authenticated status say a restart will not.
  assert.equal(store.status().predictor?.info.version, "v1_2026-01-01");
  assert.equal(
    store.status().problem,
    `no model at ${pinned}: version v1_2026-01-01 was deleted or moved; still serving it from memory, but a ` +
      "restart will have no model",
  );
  await watcher.stop();
  await store.close();
  // A serve started on it: the same words, and the store says there is no model.
  const fresh = new ModelStore();
  const later: Record<string, unknown>[] = [];
  const restarted = new CheckpointWatcher(fresh, { pointer: pinned, load, log: (r) => later.push(r) });
  assert.equal(await restarted.start(), "missing");
  assert.equal(later.find((e) => e.event === "model_missing")?.hint, missing?.hint);
  assert.match(fresh.status().problem ?? "", /version v1_2026-01-01 is not there \(deleted or moved\)/);
  await restarted.stop();
  await cp.cleanup();
});
