import assert from "node:assert/strict";
import { FakePredictor } from "../../test/fake_predictor.ts";
import { ModelStore } from "./store.ts";

Deno.test("a replaced model closes only when its last lease is released", async () => {
  const store = new ModelStore();
  assert.equal(store.acquire(), null);
  assert.equal(store.status().problem, "no model loaded yet");
  const v1 = new FakePredictor({ version: "v1" }), v2 = new FakePredictor({ version: "v2" });
  store.install(v1);
  const a = store.acquire()!, b = store.acquire()!;
  store.install(v2);
  assert.equal(store.acquire()?.predictor, v2, "new leases get the new model at once");
  assert.equal(a.predictor, v1);
  a.release();
  a.release(); // twice is harmless: it must not release b's lease
  await Promise.resolve();
  assert.equal(v1.closed, false, "b still holds v1");
  b.release();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(v1.closed, true);
  assert.equal(v2.closed, false);
  assert.equal(store.status().problem, null);
});

Deno.test("close() waits for leases, then closes every model", async () => {
  const store = new ModelStore();
  const v1 = new FakePredictor();
  store.install(v1);
  const lease = store.acquire()!;
  let closed = false;
  const closing = store.close().then(() => closed = true);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(closed, false);
  assert.equal(store.acquire(), null, "no new leases while shutting down");
  lease.release();
  await closing;
  assert.ok(v1.closed);
});
