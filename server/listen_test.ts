import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { listen, ListenError } from "./listen.ts";
import { ModelStore } from "./models/store.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";

Deno.test("shutdown() lets requests in flight finish, answers newcomers 503, then closes", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 200 }));
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  assert.ok(server.port > 0);
  const inFlight = fetch(`${server.url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stopped = server.shutdown();
  const late = await fetch(`${server.url}/health`);
  assert.equal(late.status, 503, "a request arriving while draining is told to retry");
  assert.match((await late.json()).detail, /shutting down/);
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal((await res.json()).symbol, "BTCUSDT");
  await stopped;
  await server.finished;
  await assert.rejects(() => fetch(`${server.url}/health`));
  await store.close();
});

Deno.test("a port in use is a ListenError that says so", async () => {
  const app = createApp(new ModelStore(), { log: () => {} });
  const first = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      () => listen(app.fetch, { hostname: "127.0.0.1", port: first.port }),
      (e) => e instanceof ListenError && /address is in use/.test(e.message),
    );
  } finally {
    await first.shutdown();
  }
});
