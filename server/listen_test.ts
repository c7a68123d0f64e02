import assert from "node:assert/strict";
import process from "node:process";
import { brokenOffDetail, createApp } from "./app.ts";
import { listen, ListenError, probePort } from "./listen.ts";
import { PIPELINE_LIMIT } from "./listen/backpressure.ts";
import { Metrics } from "./metrics.ts";
import { ModelStore } from "./models/store.ts";
import { RateLimiter } from "./rate_limit.ts";
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

Deno.test("draining with openWhileDraining: /health answers SPEC's 503 body, saying it is shutting down", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 200 }));
  let stopping = false;
  const app = createApp(store, { log: () => {}, shuttingDown: () => stopping });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, openWhileDraining: true });
  const before = await fetch(`${server.url}/health`);
  assert.equal(before.status, 200);
  assert.equal((await before.json()).status, "healthy");
  const inFlight = fetch(`${server.url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  stopping = true; // as serve sets it on SIGTERM, before shutdown()
  const stopped = server.shutdown();
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 503);
  assert.equal(health.headers.get("connection"), "close");
  assert.deepEqual(await health.json(), {
    status: "unhealthy",
    ready: false,
    model: "not_loaded",
    device: null,
    input_features: 35,
    shutting_down: true,
    detail: "the server is shutting down; retry in a moment",
  });
  const late = await fetch(`${server.url}/model/info`);
  assert.equal(late.status, 503, "other routes are still refused by the listener");
  assert.match((await late.json()).detail, /shutting down/);
  assert.equal((await inFlight).status, 200);
  await stopped;
  await server.finished;
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

Deno.test("an address this machine does not have is a ListenError that says so (was EINVAL, 'this is a bug')", async () => {
  const app = createApp(new ModelStore(), { log: () => {} });
  const notLocal = (e: unknown) =>
    e instanceof ListenError && e.message === "cannot listen on 192.0.2.1:8141: no such local address" &&
    e.hint === "check --host";
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine. One worker binds with listen, several
  // probe the port first.
  await assert.rejects(() => listen(app.fetch, { hostname: "192.0.2.1", port: 8141 }), notLocal);
  await assert.rejects(() => probePort("192.0.2.1", 8141), notLocal);
});

/** Sends raw bytes on a fresh connection and returns everything the server sends back until it closes. */
async function raw(port: number, text: string, timeoutMs = 3000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(text));
    return await new Response(conn.readable).text();
  } catch {
    return "";
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("routing uses the request target alone: a Host header cannot reach another route", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const logged: Record<string, unknown>[] = [];
  const app = createApp(store, { log: (r) => logged.push(r) });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const health = await raw(
      server.port,
      "GET /health HTTP/1.1\r\nHost: x/metrics?\r\nConnection: close\r\n\r\n",
    );
    assert.match(health, /^HTTP\/1\.1 200 /);
    assert.match(health, /"status":"healthy"/);
    assert.doesNotMatch(health, /candlecast_http_requests_total/);
    const post = await raw(
      server.port,
      "POST /health HTTP/1.1\r\nHost: x/predict?\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" +
        "Connection: close\r\n\r\n{}",
    );
    assert.match(post, /^HTTP\/1\.1 405 /);
    assert.deepEqual(logged.map((r) => r.path), ["/health", "/health"]);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("stalled sockets over the connection cap are dropped; timeouts cut them; /health answers after", async () => {
  const app = createApp(new ModelStore(), { log: () => {} });
  const server = await listen(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 40,
    headersTimeoutMs: 400,
    requestTimeoutMs: 800,
  });
  const conns: Deno.Conn[] = [];
  try {
    const head = new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: a\r\n");
    for (let i = 0; i < 150; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.push(conn);
      await conn.write(head).catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const held = server.stats();
    assert.ok(held.openConnections <= 40, `open ${held.openConnections} ≤ the cap of 40`);
    assert.ok(held.connectionsDropped >= 100, `dropped ${held.connectionsDropped} of 150`);
    // The header read timeout (400 ms, checked every 100 ms) cuts every stalled socket.
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(server.stats().openConnections, 0);
    assert.ok(server.stats().timeouts >= 40 - 1);
    for (const conn of conns.splice(0)) conn.close();
    const started = performance.now();
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 503); // no model: unhealthy, but answered
    await res.body?.cancel();
    assert.ok(performance.now() - started < 1000);
  } finally {
    for (const conn of conns) conn.close();
    await server.shutdown();
  }
});

Deno.test("a slow body upload is cut at the request read timeout", async () => {
  const app = createApp(new ModelStore(), { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, requestTimeoutMs: 500 });
  try {
    const started = performance.now();
    const answer = await raw(
      server.port,
      'POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"sym',
      5000,
    );
    const ms = performance.now() - started;
    assert.ok(ms >= 400 && ms < 2500, `cut after ${Math.round(ms)} ms`);
    assert.match(answer, /^$|^HTTP\/1\.1 (408|400) /);
    assert.ok(server.stats().timeouts >= 1 || /^HTTP\/1\.1 400 /.test(answer));
  } finally {
    await server.shutdown();
  }
});

Deno.test("over --max-in-flight, /predict is shed with 503 + Retry-After while /health answers at once", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 400 }));
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, maxInFlight: 2 });
  try {
    const post = () =>
      fetch(`${server.url}/predict`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(predictBody()),
      });
    const busy = [post(), post()];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const shed = await post();
    assert.equal(shed.status, 503);
    assert.equal(shed.headers.get("retry-after"), "1");
    assert.match((await shed.json()).detail, /busy/);
    const started = performance.now();
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.ok(performance.now() - started < 150, "/health did not wait for inference");
    for (const res of await Promise.all(busy)) {
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.equal(server.stats().requestsShed, 1);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("requests still uploading a small body hold no in-flight slot: idle uploads cannot shed the bot's requests", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { log: () => {}, apiKey: "k".repeat(32) });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, maxInFlight: 2 });
  // Before: three connections that sent a POST's headers (no key) and never its 100 bytes took both slots
  // until the read timeout, and every request with the key was answered 503 "busy" (a security review: 64
  // such connections a worker every 30 s stopped all predictions while /health said healthy).
  const idle = await Promise.all(
    [0, 1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
  );
  try {
    const head =
      "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    for (const conn of idle) await conn.write(new TextEncoder().encode(head));
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Seen apart from requests in flight (/metrics' candlecast_http_uploading_requests).
    assert.equal(server.stats().uploading, 3);
    assert.equal(server.stats().inFlight, 0);
    const res = await fetch(`${server.url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${"k".repeat(32)}` },
      body: JSON.stringify(predictBody()),
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal(server.stats().requestsShed, 0);
    // A body that breaks off while the slots are full is the client's failure, not a request shed as "busy"
    // (a review: it was logged 503 and counted in candlecast_http_requests_shed_total).
    const slow = new ModelStore();
    slow.install(new FakePredictor({ delayMs: 600 }));
    const busy = await listen(createApp(slow, { log: () => {} }).fetch, {
      hostname: "127.0.0.1",
      port: 0,
      maxInFlight: 1,
    });
    try {
      // Admitted while a slot was free; the slot fills while its body is still arriving; then it breaks off.
      const half = await Deno.connect({ hostname: "127.0.0.1", port: busy.port });
      await half.write(new TextEncoder().encode(head + '{"sym'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const inFlight = fetch(`${busy.url}/predict`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(predictBody()),
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      half.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(busy.stats().requestsShed, 0);
      await (await inFlight).body?.cancel();
    } finally {
      await busy.shutdown();
      await slow.close();
    }
  } finally {
    for (const conn of idle) conn.close();
    await server.shutdown();
    await store.close();
  }
});

Deno.test("shutdown is bounded: a stalled request is cut after shutdownTimeoutMs", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 1_500 }));
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, shutdownTimeoutMs: 300 });
  const stuck = fetch(`${server.url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  }).then((res) => res.status, () => "cut");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  await server.shutdown();
  const ms = performance.now() - started;
  assert.ok(ms >= 250 && ms < 1500, `stopped after ${Math.round(ms)} ms`);
  assert.equal(await stuck, "cut");
  await store.close();
});

Deno.test("request bodies reach the app whole: small ones in pieces, large ones streamed, chunked ones", async () => {
  const server = await listen(async (request) => {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return new Response(`${bytes.byteLength} ${bytes.reduce((sum, b) => (sum + b) % 65521, 0)}`);
  }, { hostname: "127.0.0.1", port: 0 });
  const expect = (bytes: Uint8Array) =>
    `${bytes.byteLength} ${bytes.reduce((sum, b) => (sum + b) % 65521, 0)}`;
  try {
    // A small declared body sent in three pieces with pauses: collected whole before the app sees it.
    const small = new TextEncoder().encode(JSON.stringify(predictBody()));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const head =
      `POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: ${small.byteLength}\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(head));
    for (const [from, to] of [[0, 100], [100, 5000], [5000, small.byteLength]]) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await conn.write(small.subarray(from, to));
    }
    const answer = await new Response(conn.readable).text();
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(answer.endsWith(`\r\n\r\n${expect(small)}`), answer);
    // Over the small-body size: streamed to the app as before.
    const large = new Uint8Array(200_000).map((_, i) => i % 251);
    const res = await fetch(`${server.url}/x`, { method: "POST", body: large });
    assert.equal(await res.text(), expect(large));
    // Chunked (no Content-Length): streamed.
    const chunked = await fetch(`${server.url}/x`, {
      method: "POST",
      body: new ReadableStream({
        start(c) {
          c.enqueue(small.subarray(0, 10));
          c.enqueue(small.subarray(10));
          c.close();
        },
      }),
    });
    assert.equal(await chunked.text(), expect(small));
  } finally {
    await server.shutdown();
  }
});

Deno.test("a small body that breaks off is the client's problem: no server error, the server serves on", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const lines: Record<string, unknown>[] = [];
  const app = createApp(store, { log: (r) => lines.push(r) });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, log: (r) => lines.push(r) });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(
      new TextEncoder().encode(
        'POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{"sym',
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    conn.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.deepEqual(lines.filter((l) => l.event === "server_error" || Number(l.status) >= 500), []);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("a body the app stops reading (over its limit) while more keeps arriving: answered, the server serves on", async () => {
  // The app reads 100 kB, then cancels the stream, as server/body.ts does past its limit; the client keeps
  // sending. Deno's `Readable.toWeb` threw on the next chunk ("cannot close or enqueue"), out of an event
  // handler, which ended the process (bench:serve's malformed phase, 2026-12-01).
  const server = await listen(async (request) => {
    if (request.method === "GET") return new Response("alive");
    const reader = request.body!.getReader();
    let size = 0;
    while (size <= 100_000) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
    }
    await reader.cancel().catch(() => {});
    return new Response("too large", { status: 413 });
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    const encoder = new TextEncoder();
    const body = new Uint8Array(2_000_000).fill(49);
    for (const chunked of [false, true]) {
      for (const pieces of [1, 4, 64]) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        const framing = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${body.byteLength}`;
        await conn.write(
          encoder.encode(`POST /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n${framing}\r\n\r\n`),
        );
        const answer = new Response(conn.readable).text().catch(() => "");
        const size = body.byteLength / pieces;
        for (let i = 0; i < pieces; i++) {
          const part = body.subarray(i * size, (i + 1) * size);
          const bytes = chunked
            ? new Uint8Array([...encoder.encode(`${part.byteLength.toString(16)}\r\n`), ...part, 13, 10])
            : part;
          const sent = await conn.write(bytes).then(() => true, () => false);
          if (!sent) break; // the server may close the connection after answering
        }
        if (chunked) await conn.write(encoder.encode("0\r\n\r\n")).catch(() => 0);
        assert.match(
          await answer,
          /^HTTP\/1\.1 413 /,
          `${chunked ? "chunked" : "declared"}, ${pieces} writes`,
        );
        try {
          conn.close();
        } catch { /* closed by the server */ }
      }
    }
    const health = await fetch(`${server.url}/health`);
    assert.equal(await health.text(), "alive");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a body the app never reads (413 on its declared length): the rest is dropped and the connection ends", async () => {
  // server/body.ts answers 413 from Content-Length alone. The unread body used to stay paused on its socket
  // until the read timeout: 150 refused 1.9 MB uploads kept ~45 MiB, and after ~450 the server stopped
  // answering new connections (a bench:serve "huge arrays" probe, 2026-12-01).
  const server = await listen((request) => {
    if (request.method === "GET") return new Response("alive");
    return new Response("too large", { status: 413 });
  }, { hostname: "127.0.0.1", port: 0, requestTimeoutMs: 20_000 });
  try {
    const encoder = new TextEncoder();
    const body = new Uint8Array(2_000_000).fill(49);
    for (let round = 0; round < 3; round++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      // Keep-alive: only the server can decide to end this connection.
      await conn.write(
        encoder.encode(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.byteLength}\r\n\r\n`),
      );
      const answer = new Response(conn.readable).text().catch(() => "");
      await conn.write(body).catch(() => 0);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const text = await Promise.race([
        answer,
        new Promise<string>((resolve) => timer = setTimeout(() => resolve("still open after 5 s"), 5_000)),
      ]);
      clearTimeout(timer);
      assert.match(text, /^HTTP\/1\.1 413 /);
      assert.match(text, /connection: close/i);
      try {
        conn.close();
      } catch { /* closed by the server */ }
    }
    for (let i = 0; i < 50 && server.stats().openConnections > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(server.stats().openConnections, 0);
    assert.equal(await (await fetch(`${server.url}/health`)).text(), "alive");
  } finally {
    await server.shutdown();
  }
});

/** Reads from `conn` until `want` bytes of answer have arrived (not to EOF: `conn.readable` would close it). */
async function readAnswer(conn: Deno.TcpConn): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  while (!/\r\n\r\n/.test(text) || text.length < text.indexOf("\r\n\r\n") + 4 + contentLength(text)) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}
const contentLength = (head: string) => Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);

Deno.test("an answer sent before its body ended (401, 415): the rest of the body is still read, then the connection ends", async () => {
  // A proxy (Caddy, Go's transport) writes the whole body before it reads the answer; so does a client. The
  // server used to close the socket as soon as its early answer was out (node:http on `Connection: close`),
  // and the body still arriving met a closed socket: the client's next write failed (a broken pipe, or a
  // reset that can discard the answer unread). Behind Caddy 5 of 80 refused 1 MiB uploads became 502s
  // (trial s47, 2026-12-05). Now the answer is followed by a FIN, the body is read to its end and dropped,
  // and then the connection closes.
  const server = await listen((request) => {
    if (request.method === "GET") return new Response("alive");
    return new Response('{"detail":"missing bearer key"}', { status: 401 });
  }, { hostname: "127.0.0.1", port: 0, requestTimeoutMs: 1_500 });
  try {
    const encoder = new TextEncoder();
    const body = new Uint8Array(1_000_000).fill(49);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(
      encoder.encode(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.byteLength}\r\n\r\n`),
    );
    await conn.write(body.subarray(0, 100_000));
    const answer = await readAnswer(conn);
    assert.match(answer, /^HTTP\/1\.1 401 /);
    assert.match(answer, /connection: close/i);
    assert.ok(answer.endsWith('missing bearer key"}'), answer);
    await new Promise((resolve) => setTimeout(resolve, 100)); // time for the server to close, if it does
    for (let sent = 100_000; sent < body.byteLength; sent += 100_000) {
      // Before: "BrokenPipe: Broken pipe (os error 32)" or a reset here.
      await conn.write(body.subarray(sent, sent + 100_000));
    }
    assert.equal(await conn.read(new Uint8Array(16)), null, "the connection ends after the body");
    conn.close();

    // A client that stops sending mid-body is not waited for past the request timeout.
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await stalled.write(
      encoder.encode(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.byteLength}\r\n\r\n`),
    );
    await stalled.write(body.subarray(0, 100_000));
    const started = performance.now();
    assert.match(await readAnswer(stalled), /^HTTP\/1\.1 401 /);
    for (let i = 0; i < 150 && server.stats().openConnections > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(server.stats().openConnections, 0, "closed at the request timeout");
    assert.ok(performance.now() - started < 2_900, `held ${Math.round(performance.now() - started)} ms`);
    stalled.close();
    assert.equal(await (await fetch(`${server.url}/health`)).text(), "alive");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a draining server's 503 to a request still uploading: the body is read to its end, then the connection ends", async () => {
  // The listener answers 503 "shutting down" from the headers alone, with `Connection: close`; node:http then
  // closed the socket while the body was still arriving, so the client's next write met a broken pipe or a
  // reset (which can discard the 503 unread), not the answer that tells it to retry elsewhere. The shutdown
  // waits for such a connection as it waits for a request in flight.
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 400 }));
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  const encoder = new TextEncoder();
  const inFlight = fetch(`${server.url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const stopped = server.shutdown();
  try {
    const body = new Uint8Array(600_000).fill(32);
    await conn.write(encoder.encode(
      `POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.byteLength}\r\n\r\n`,
    ));
    await conn.write(body.subarray(0, 100_000));
    const answer = await readAnswer(conn);
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /connection: close/i);
    assert.match(answer, /shutting down/);
    // The request in flight ends first: what holds the shutdown then is this connection alone.
    assert.equal((await inFlight).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 300)); // time for the server to close, if it does
    for (let sent = 100_000; sent < body.byteLength; sent += 100_000) {
      // Before: "BrokenPipe: Broken pipe (os error 32)" or a reset here.
      await conn.write(body.subarray(sent, sent + 100_000));
    }
    assert.equal(await conn.read(new Uint8Array(16)), null, "the connection ends after the body");
    const ended = performance.now();
    await stopped;
    assert.ok(performance.now() - ended < 1_000, "the shutdown ends with the body, not at its timeout");
  } finally {
    conn.close();
    await stopped;
    await store.close();
  }
});

Deno.test("a shutdown waits for a lingering body that keeps arriving, past the quiet limit (1 s)", async () => {
  // Whether a lingering body still arrives was read off the socket's "data" events, which Deno 2.9's node:http
  // never emits (its parser reads the socket's handle directly): every lingering body counted as quiet 1 s
  // after its answer, and a shutdown cut one still uploading, the client's next write meeting a reset.
  const server = await listen(
    () => new Response('{"detail":"missing bearer key"}', { status: 401 }),
    { hostname: "127.0.0.1", port: 0, shutdownTimeoutMs: 8_000 },
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  let stopped: Promise<void> | undefined;
  try {
    const body = new Uint8Array(500_000).fill(32);
    await conn.write(
      new TextEncoder().encode(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.byteLength}\r\n\r\n`),
    );
    await conn.write(body.subarray(0, 100_000));
    assert.match(await readAnswer(conn), /^HTTP\/1\.1 401 /);
    stopped = server.shutdown();
    for (let sent = 100_000; sent < body.byteLength; sent += 100_000) {
      await new Promise((resolve) => setTimeout(resolve, 500)); // 2 s in all, past the 1 s quiet limit
      await conn.write(body.subarray(sent, sent + 100_000));
    }
    assert.equal(await conn.read(new Uint8Array(16)), null, "the connection ends after the body");
    const ended = performance.now();
    await stopped;
    assert.ok(performance.now() - ended < 1_000, "the shutdown ends with the body, not at its timeout");
  } finally {
    conn.close();
    await (stopped ?? server.shutdown());
  }
});

Deno.test("a shutdown is not held by a lingering body that has gone quiet", async () => {
  // A client answered early (401) that stops sending mid-body, without closing, would otherwise hold the
  // shutdown to its timeout (10 s by default) for a body that may never end.
  const server = await listen(
    () => new Response('{"detail":"missing bearer key"}', { status: 401 }),
    { hostname: "127.0.0.1", port: 0, shutdownTimeoutMs: 8_000 },
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(
      new TextEncoder().encode("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"),
    );
    await conn.write(new Uint8Array(100_000));
    assert.match(await readAnswer(conn), /^HTTP\/1\.1 401 /);
    const started = performance.now();
    await server.shutdown();
    const held = performance.now() - started;
    assert.ok(held < 2_500, `held ${Math.round(held)} ms`);
  } finally {
    conn.close();
  }
});

Deno.test("an early answer still lingers under a request timeout longer than a timer can hold (~24.8 days)", async () => {
  // --request-timeout takes any number of seconds; a timer past 2^31 − 1 ms fires after 1 ms (with a
  // TimeoutOverflowWarning on stderr), which closed the socket at once, as before the lingering close.
  const server = await listen(
    () => new Response('{"detail":"missing bearer key"}', { status: 401 }),
    { hostname: "127.0.0.1", port: 0, requestTimeoutMs: 3e9 },
  );
  try {
    const body = new Uint8Array(300_000).fill(49);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(
      new TextEncoder().encode(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.byteLength}\r\n\r\n`),
    );
    await conn.write(body.subarray(0, 100_000));
    assert.match(await readAnswer(conn), /^HTTP\/1\.1 401 /);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.stats().openConnections, 1, "still open for the rest of the body");
    for (let sent = 100_000; sent < body.byteLength; sent += 100_000) {
      await conn.write(body.subarray(sent, sent + 100_000));
    }
    assert.equal(await conn.read(new Uint8Array(16)), null, "the connection ends after the body");
    conn.close();
  } finally {
    await server.shutdown();
  }
});

/**
 * A served app whose request lines and /metrics request counts the test reads, with the read timeout given
 * and a model that takes `predictMs` to answer.
 * `send` opens a connection, runs `talk` on it and returns what the server sent back until it closed.
 */
async function observed(requestTimeoutMs = 30_000, predictMs = 0) {
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: predictMs }));
  const lines: Record<string, unknown>[] = [];
  const metrics = new Metrics();
  const app = createApp(store, { log: (r) => lines.push(r), metrics });
  const server = await listen(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
    requestTimeoutMs,
    log: (r) => lines.push(r),
  });
  const body = new TextEncoder().encode(JSON.stringify(predictBody()));
  const head = new TextEncoder().encode(
    `POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${body.byteLength}\r\n\r\n`,
  );
  return {
    server,
    lines,
    body,
    head,
    /** The request lines' statuses. */
    statuses: () => lines.filter((l) => l.path !== undefined).map((l) => l.status),
    /** The request lines' `field`. */
    field: (field: string) => lines.filter((l) => l.path !== undefined).map((l) => l[field]),
    /** `candlecast_http_requests_total` by status, for /predict. */
    counted: async () => {
      const text = await metrics.renderAll(store.status());
      return Object.fromEntries(
        [...text.matchAll(
          /^candlecast_http_requests_total\{route="\/predict",method="POST",status="(\d+)"\} (\d+)$/gm,
        )]
          .map((m) => [m[1], Number(m[2])]),
      );
    },
    send: async (talk: (conn: Deno.TcpConn) => Promise<void>, timeoutMs = 3000) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const timer = setTimeout(() => conn.close(), timeoutMs);
      const answer = new Response(conn.readable).text().catch(() => "");
      try {
        await talk(conn);
        return await answer;
      } finally {
        clearTimeout(timer);
      }
    },
    /** Waits until the request lines number `n` (or a second passed). */
    settle: async (n: number) => {
      for (let i = 0; i < 50 && lines.filter((l) => l.path !== undefined).length < n; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: async () => {
      await server.shutdown();
      await store.close();
    },
  };
}

Deno.test("a body stalled past the read timeout: 408 sent, and 408 is what the request line and /metrics say", async () => {
  // The line and the count used to say 400: the app answered the broken-off body as malformed, an answer the
  // cut socket never carried, while the client got the listener's 408.
  const t = await observed(500);
  try {
    const answer = await t.send(async (conn) => {
      await conn.write(t.head);
      await conn.write(t.body.subarray(0, 100)); // then nothing more
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    // SPEC §4: every error is a JSON {"detail"}, this one too (it used to have an empty body).
    assert.match(answer, /\r\nContent-Type: application\/json\r\n/i);
    const detail = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).detail;
    assert.match(detail, /^the request did not arrive whole within 0\.5 s .*; send it again/);
    // Over 64 kB the body is streamed to the app, which is reading it when the timeout cuts it: the same.
    const streamed = await t.send(async (conn) => {
      await conn.write(
        new TextEncoder().encode(
          "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n",
        ),
      );
      await conn.write(new Uint8Array(100_000).fill(32));
    });
    assert.match(streamed, /^HTTP\/1\.1 408 /);
    await t.settle(2);
    assert.deepEqual(t.statuses(), [408, 408]);
    // Why, and who: the line does not carry the app's 400 "the connection ended", which nobody was sent.
    assert.deepEqual(t.field("detail"), new Array(2).fill(brokenOffDetail(408)));
    assert.deepEqual(t.field("client"), ["127.0.0.1", "127.0.0.1"]);
    // Timed from when the request began, not from when the app was handed the broken body (it said ~1 ms
    // for the small body, read whole before the app ran).
    const latencies = t.lines.filter((l) => l.path !== undefined).map((l) => Number(l.latency_ms));
    assert.ok(latencies.every((ms) => ms >= 450), latencies.join(" "));
    assert.deepEqual(await t.counted(), { "408": 2 });
    assert.equal(t.server.stats().timeouts, 2);
  } finally {
    await t.stop();
  }
});

Deno.test("a request the HTTP parser refuses is a 400 with SPEC §4's JSON detail, not an empty body", async () => {
  const t = await observed();
  try {
    for (const request of ["NONSENSE\r\n\r\n", "GET /health HTTP/1.1\r\nHost a\r\n\r\n"]) {
      const answer = await raw(t.server.port, request);
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.match(answer, /\r\nContent-Type: application\/json\r\n/i);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      assert.match(body.detail, /^malformed HTTP request: .*; check the client$/);
    }
    const huge = await raw(
      t.server.port,
      `GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`,
    );
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.match(JSON.parse(huge.slice(huge.indexOf("\r\n\r\n") + 4)).detail, /headers are too large/);
    // Each answer has a log line naming the peer and the parser's code: before, only a counter said anything
    // (a security review: smuggling attempts and huge headers left no trace of who sent them).
    const answered = t.lines.filter((l) => l.path === undefined && typeof l.code === "string");
    assert.deepEqual(answered.map((l) => l.status), [400, 400, 431]);
    assert.ok(
      answered.every((l) => l.peer === "127.0.0.1" && String(l.code).startsWith("HPE_")),
      String(answered),
    );
    assert.match(String(answered[2].detail), /headers are too large/);
  } finally {
    await t.stop();
  }
});

Deno.test("a body whose chunked framing breaks: a 400 naming the body, and 400 is what the request line and /metrics say", async () => {
  // The client got the parser's 400 while the line and the count said 499 (a client gone), and its detail
  // blamed "its request line or headers", which had arrived fine.
  const t = await observed();
  try {
    const answer = await t.send(async (conn) => {
      await conn.write(
        new TextEncoder().encode(
          "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" +
            'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nzz\r\n\r\n',
        ),
      );
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const detail = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).detail;
    assert.match(
      detail,
      /^malformed HTTP request: its body does not follow its framing .*; check the client$/,
    );
    await t.settle(1);
    assert.deepEqual(t.statuses(), [400]);
    assert.deepEqual(t.field("detail"), [brokenOffDetail(400)]);
    assert.deepEqual(await t.counted(), { "400": 1 });
    // And the listener's own line, with the peer and the parser's code.
    assert.ok(
      t.lines.some((l) => l.status === 400 && String(l.code).startsWith("HPE_")),
      JSON.stringify(t.lines),
    );
  } finally {
    await t.stop();
  }
});

Deno.test("an HTTP/1.1 request without a Host header: a 400 with SPEC §4's JSON detail and a log line", async () => {
  // node:http's own check answered an empty 400 that no log line or detail explained.
  const t = await observed();
  try {
    const answer = await raw(t.server.port, "GET /health HTTP/1.1\r\n\r\n");
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /\r\nContent-Type: application\/json\r\n/i);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.match(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).detail, /must carry a Host header/);
    await t.settle(1);
    assert.deepEqual(t.lines.filter((l) => l.path !== undefined).map((l) => [l.path, l.status]), [[
      "/health",
      400,
    ]]);
    // The listener's own lines say why, and the socket's address as `peer` (it reads no proxy's header).
    assert.match(String(t.field("detail")[0]), /must carry a Host header/);
    assert.deepEqual(t.field("peer"), ["127.0.0.1"]);
    // A Host header with an empty value is one (RFC 9112 allows it, node:http let it through): not this 400.
    assert.doesNotMatch(
      await raw(t.server.port, "GET /health HTTP/1.1\r\nHost:\r\n\r\n"),
      /must carry a Host/,
    );
    // HTTP/1.0 has no such rule: served.
    assert.match(await raw(t.server.port, "GET /health HTTP/1.0\r\n\r\n"), /^HTTP\/1\.1 200 /);
  } finally {
    await t.stop();
  }
});

Deno.test("a client gone mid-body (closed, or half-closed) is answered nothing and logged 499, not 400", async () => {
  const t = await observed();
  try {
    for (const end of ["close", "closeWrite"] as const) {
      const answer = await t.send(async (conn) => {
        await conn.write(t.head);
        await conn.write(t.body.subarray(0, 100));
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (end === "close") conn.close();
        else await conn.closeWrite(); // still reading: it would see any answer
      });
      assert.equal(answer, "", `${end}: nothing is sent for a body that never arrived`);
    }
    await t.settle(2);
    assert.deepEqual(t.statuses(), [499, 499]);
    assert.deepEqual(t.field("detail"), new Array(2).fill(brokenOffDetail(499)));
    assert.match(brokenOffDetail(499), /no answer was sent/);
    assert.deepEqual(t.field("client"), ["127.0.0.1", "127.0.0.1"], "the address, though the socket is gone");
    assert.deepEqual(await t.counted(), { "499": 2 });
    assert.equal(t.server.stats().clientErrors, 2);
    const health = await fetch(`${t.server.url}/health`);
    assert.equal(health.status, 200, "the server serves on");
    await health.body?.cancel();
  } finally {
    await t.stop();
  }
});

Deno.test("a whole request followed at once by a half-close (shutdown(SHUT_WR)) is answered", async () => {
  // The body had fully arrived, but the half-close aborted the request before its "end": no answer, logged 400;
  // the same bytes with a 0.2 s pause before the half-close got 200.
  const t = await observed();
  try {
    const predict = await t.send(async (conn) => {
      await conn.write(new Uint8Array([...t.head, ...t.body]));
      await conn.closeWrite();
    });
    assert.match(predict, /^HTTP\/1\.1 200 /);
    assert.equal(JSON.parse(predict.slice(predict.indexOf("\r\n\r\n") + 4)).symbol, "BTCUSDT");
    const health = await t.send(async (conn) => {
      await conn.write(new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: a\r\n\r\n"));
      await conn.closeWrite();
    });
    assert.match(health, /^HTTP\/1\.1 200 /);
    await t.settle(2);
    assert.deepEqual(t.statuses(), [200, 200]);
    assert.deepEqual(await t.counted(), { "200": 1 });
    assert.equal(t.server.stats().openConnections, 0, "the connection ends after the answer");
  } finally {
    await t.stop();
  }
});

Deno.test("TRACE and CONNECT get a 405 with SPEC §4's JSON detail, not a 500 or a dropped connection", async () => {
  // The fetch standard forbids TRACE and CONNECT in a Request: its constructor threw, so TRACE, a client's
  // method, was answered 500 "internal server error" and logged as a server bug, and CONNECT (which node:http
  // hands to a "connect" listener, of which there was none) was answered nothing at all.
  const t = await observed();
  try {
    for (
      const [method, target] of [["TRACE", "/predict"], ["TRACE", "/health"], ["CONNECT", "127.0.0.1:22"]]
    ) {
      const answer = await raw(
        t.server.port,
        `${method} ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      assert.match(answer, /^HTTP\/1\.1 405 /, `${method} ${target}: ${answer}`);
      assert.match(answer, /\r\nContent-Type: application\/json\r\n/i);
      assert.match(answer, /\r\nAllow: GET, HEAD, POST\r\n/i);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      assert.equal(body.detail, `${method} is not supported; the API answers GET, HEAD and POST`);
    }
    await t.settle(3);
    assert.deepEqual(t.statuses(), [405, 405, 405]);
    assert.deepEqual(t.field("detail"), [
      "TRACE is not supported; the API answers GET, HEAD and POST",
      "TRACE is not supported; the API answers GET, HEAD and POST",
      "CONNECT is not supported; the API answers GET, HEAD and POST",
    ]);
    assert.deepEqual(t.field("peer"), ["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    assert.equal(t.lines.filter((l) => l.event === "server_error").length, 0, "no server error logged");
    const health = await fetch(`${t.server.url}/health`);
    assert.equal(health.status, 200, "the server serves on");
    await health.body?.cancel();
  } finally {
    await t.stop();
  }
});

Deno.test("bytes sent behind a CONNECT in the same write are logged unanswered, as its 405 closes the connection", async () => {
  // node:http hands them to the "connect" listener as `head`; ignored, a request pipelined there got no answer
  // and left no line (a review).
  const t = await observed();
  try {
    const behind = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
    const answer = await raw(t.server.port, `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: a\r\n\r\n${behind}`);
    assert.deepEqual(wireStatuses(answer), [405], answer);
    await t.settle(1);
    const unanswered = t.lines.filter((l) => l.event === "unanswered");
    assert.deepEqual(unanswered.map((l) => [l.peer, l.bytes]), [["127.0.0.1", behind.length]]);
    assert.match(String(unanswered[0].detail), /behind a CONNECT \(127\.0\.0\.1:22\)/);
  } finally {
    await t.stop();
  }
});

Deno.test("headers stalled past the header timeout: the 408 names that timeout, not the request timeout", async () => {
  // node:http reports both read timeouts as ERR_HTTP_REQUEST_TIMEOUT: a client cut after the 0.3 s header
  // timeout was told its request "did not arrive whole within 3 s", a figure it had not reached.
  const app = createApp(new ModelStore(), { log: () => {} });
  const server = await listen(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
    headersTimeoutMs: 300,
    requestTimeoutMs: 3000,
  });
  try {
    const detail = (answer: string) => {
      assert.match(answer, /^HTTP\/1\.1 408 /);
      return JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).detail;
    };
    const started = performance.now();
    const headers = await raw(server.port, "GET /health HTTP/1.1\r\nHost: a\r\n", 2500);
    assert.ok(performance.now() - started < 2000, "cut at the header timeout");
    assert.equal(
      detail(headers),
      "the request headers did not arrive whole within 0.3 s (the server's header timeout); send them again, " +
        "at once",
    );
    // Headers whole, the body stalled: the request timeout, as before.
    const body = await raw(
      server.port,
      "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
      5000,
    );
    assert.match(
      detail(body),
      /^the request did not arrive whole within 3 s \(the server's request timeout\)/,
    );
    // A keep-alive connection whose second request's headers stall: the header timeout again.
    const second = await raw(
      server.port,
      "GET /health HTTP/1.1\r\nHost: a\r\n\r\nGET /health HTTP/1.1\r\nHost: a\r\n",
      2500,
    );
    assert.match(second, /^HTTP\/1\.1 503 /, "the first request is answered");
    assert.match(second, /header timeout/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("pipelined requests on one connection print no MaxListenersExceededWarning on stderr", async () => {
  // Each request in flight listens for its connection's end; node:http hands on pipelined requests before
  // the earlier ones are answered, so 11 on one connection printed "Possible EventEmitter memory leak
  // detected. 11 end listeners added to [Socket]" to stderr, a line that is no JSON event and no leak (each
  // listener goes when its request ends).
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 50 }));
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on("warning", onWarning);
  try {
    const body = JSON.stringify(predictBody());
    const one = `POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${new TextEncoder().encode(body).byteLength}\r\n\r\n${body}`;
    const answer = await raw(
      server.port,
      one.repeat(30) + "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      10_000,
    );
    assert.equal(answer.match(/HTTP\/1\.1 200 /g)?.length, 31);
    await new Promise((resolve) => setTimeout(resolve, 50)); // warnings are emitted on the next tick
    assert.deepEqual(warnings, []);
  } finally {
    process.off("warning", onWarning);
    await server.shutdown();
    await store.close();
  }
});

Deno.test("pipelined requests the client reads are all answered in order, through pauses at PIPELINE_LIMIT", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 2 }));
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const body = JSON.stringify(predictBody());
    const post = `POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${new TextEncoder().encode(body).byteLength}\r\n\r\n${body}`;
    const get = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
    // 10 × (PIPELINE_LIMIT GETs and 8 POSTs): paused and resumed many times over; none lost.
    const text = (get.repeat(PIPELINE_LIMIT) + post.repeat(8)).repeat(10) +
      "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const answer = await raw(server.port, text, 20_000);
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    assert.equal(statuses.length, 10 * (PIPELINE_LIMIT + 8) + 1);
    assert.ok(statuses.every((status) => status === "200"), statuses.join(","));
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("a client pipelining without reading is paused, then cut once its answers wait unread; /health answers others meanwhile", async () => {
  // Before: every pipelined request was handed on and its answer kept (the client reads none), so one
  // connection of GET /health grew a worker past 1.8 GB and /health timed out for 20 s (a security review).
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { log: () => {} });
  const lines: Record<string, unknown>[] = [];
  let handled = 0;
  /** When the flood's latest request was handed on (the probes' own are told apart by their Host). */
  let floodHandedOn = 0;
  // 3 s: the cut comes a request timeout after the answers back up. The probes ask on a connection opened and
  // answered before the flood: a new connection's headers must arrive within the header timeout (no longer
  // than this), counted from its accept, and the flood's first reads hold the loop for seconds on a loaded CI
  // machine (1 s: a probe reset at c976596; 3 s: the first probe's connection, accepted then, got a 408 after
  // 4.7 s in 4 of 4 runs beside 3 CPU hogs). A request on an open connection is timed from its first byte,
  // read with the rest of it, so the probes measure only how long the server takes to answer them. The long
  // keep-alive: a probe waiting that long to be read is not an idle connection to close.
  const server = await listen((request) => {
    handled++;
    if (request.headers.get("host") !== "probe") floodHandedOn = performance.now();
    return app.fetch(request);
  }, {
    hostname: "127.0.0.1",
    port: 0,
    requestTimeoutMs: 3000,
    keepAliveTimeoutMs: 60_000,
    log: (r) => lines.push(r),
  });
  const probe = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const conns = [probe];
  try {
    const ask = async () => {
      await probe.write(new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: probe\r\n\r\n"));
      return await readAnswer(probe);
    };
    assert.match(await ask(), /^HTTP\/1\.1 200 /, "the probe's connection is open before the flood");
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conns.push(conn);
    const flood = new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: a\r\n\r\n".repeat(2000));
    let sent = 0;
    const writing = (async () => {
      try {
        // 200,000 requests, 7 MB: far past what the kernel's buffers hold, read or not.
        for (let i = 0; i < 100; i++) sent += await conn.write(flood);
      } catch {
        // cut by the server: what this test expects
      }
    })();
    const started = performance.now();
    /** Each probe's wait, and its wait past the flood's latest request handed on before its answer came. */
    const probes: number[] = [];
    const pastFlood: number[] = [];
    let cut = false;
    // 30 s: only a limit for a flood never cut; the cut ends the loop (in ~5 s here, ~10 s beside 3 hogs).
    while (performance.now() - started < 30_000 && !cut) {
      const t0 = performance.now();
      const health = await ask();
      assert.match(health, /^HTTP\/1\.1 200 /, health.slice(0, 300));
      const answered = performance.now();
      probes.push(answered - t0);
      pastFlood.push(answered - Math.max(t0, floodHandedOn));
      cut = await Promise.race([
        writing.then(() => true),
        new Promise<boolean>((r) => setTimeout(r, 100, false)),
      ]);
    }
    assert.ok(cut, `the flooding connection was never cut (${sent} bytes written)`);
    // /health kept answering: most probes at once, and none waited for more than the flood's reads until its
    // pause held (those requests' answers went into the kernel's buffers, and each drain let another read in:
    // ~14,000 requests, 1.6–3 s of the loop here, 4.3–4.8 s beside 3 CPU hogs and 6.7 s once, so the fixed
    // 5 s this asserted failed under load): each was answered within 2 s of the flood's latest request handed
    // on (0.1–0.15 s here, at most 0.5 s beside 3 hogs). Those reads are bounded by count below. Before,
    // /health timed out for 12–40 s.
    const ms = (waits: number[]) => waits.map(Math.round).join(", ");
    const sorted = [...probes].sort((a, b) => a - b);
    assert.ok(sorted[Math.floor(sorted.length / 2)] < 500, `/health took ${ms(probes)} ms`);
    assert.ok(
      pastFlood.every((wait) => wait < 2000),
      `/health took ${ms(probes)} ms, ${ms(pastFlood)} ms past the flood's latest request handed on`,
    );
    // The app saw what the kernel's buffers could hold answers to, not the 200,000 sent.
    assert.ok(handled < 100_000, `${handled} requests handed to the app`);
    const cuts = lines.filter((l) => l.event === "connection_cut");
    assert.equal(cuts.length, 1, JSON.stringify(cuts));
    assert.equal(cuts[0].reason, "reads_no_answers");
    assert.equal(cuts[0].peer, "127.0.0.1");
    // A new connection is answered too once the flood is cut.
    const after = await fetch(`${server.url}/health`);
    await after.body?.cancel();
    assert.equal(after.status, 200);
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await server.shutdown();
    await store.close();
  }
});

Deno.test("a paused connection stays paused through a drain: node:http's drain handler no longer lifts the pause", async () => {
  // A large answer the client then reads drains the socket while 39 slow answers are still pending: node:http
  // resumed the socket on that drain, and 3,000 more pipelined requests were read and handed on (a review).
  let handled = 0;
  const server = await listen(async (request) => {
    handled++;
    if (new URL(request.url).pathname === "/big") return new Response("y".repeat(4 << 20));
    await new Promise((r) => setTimeout(r, 2000));
    return new Response("x");
  }, { hostname: "127.0.0.1", port: 0 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
    await conn.write(new TextEncoder().encode(get("/big") + get("/x").repeat(39)));
    // Read the big answer (and whatever else comes) for a second: the socket drains.
    const buffer = new Uint8Array(1 << 20);
    let got = 0;
    const until = performance.now() + 1000;
    while (got < 4 << 20 && performance.now() < until) {
      const n = await Promise.race([conn.read(buffer), new Promise<null>((r) => setTimeout(r, 100, null))]);
      if (n) got += n;
    }
    assert.ok(got >= 4 << 20, `read ${got} bytes`);
    const before = handled;
    // 3,000 more, in writes the kernel takes whether or not the server reads them. Read past the pause, they
    // reach the listener, which sheds those over --max-in-flight (64) with a 503 of its own.
    const more = new TextEncoder().encode(get("/x").repeat(100));
    for (let i = 0; i < 30; i++) {
      await conn.write(more);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(before, 40);
    const { requestsShed } = server.stats();
    assert.ok(
      handled < before + 100 && requestsShed < 100,
      `${handled - before} handed on, ${requestsShed} shed`,
    );
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("a client that writes 1,100 pipelined requests at once, then reads, gets every answer", async () => {
  // A 64 KiB read holds them all, handed on before any answer: the cut at 1,024 unanswered reset it (a review).
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const text = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n".repeat(1099) +
      "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    const answer = await raw(server.port, text, 20_000);
    assert.equal(answer.match(/HTTP\/1\.1 200 /g)?.length, 1100);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

/**
 * Sends `head` (a request with `Expect: 100-continue`) and no body; returns the first answer the server sends
 * (`readAnswer`), or what came before `timeoutMs`.
 */
async function expectContinue(port: number, head: string, timeoutMs = 3000) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  await conn.write(new TextEncoder().encode(head));
  const answer = await readAnswer(conn).catch(() => "(closed after 3 s without an answer)");
  return { conn, answer, done: () => clearTimeout(timer) };
}

Deno.test("Expect: 100-continue: a body refused from its headers (413, 401, 415, 403, 404, 405, 429) is answered at once, without 100 and unsent", async () => {
  // node:http answered `100 Continue` itself before the app saw the request, so curl (Expect on large
  // uploads) sent a declared 2 MB body in full just to be told 413, and a keyless client its whole body for a
  // 401. Now the app's own refusals go out without 100 and the body is never asked for.
  const store = new ModelStore();
  store.install(new FakePredictor());
  // Five requests a client may make, and no refill within the test: the sixth limited one is a 429 (the 403
  // comes before the limiter and takes no token).
  const rateLimit = new RateLimiter({ rate: 0.001, burst: 5 });
  const app = createApp(store, { log: () => {}, apiKey: "k3y", rateLimit });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  const key = "Authorization: Bearer k3y\r\n";
  const json = "Content-Type: application/json\r\n";
  try {
    const refused: [number, string, string, number][] = [
      [413, "/predict", key + json, 2_000_000],
      [401, "/predict", json, 16_000],
      [415, "/predict", key + "Content-Type: text/plain\r\n", 16_000],
      [403, "/predict", key + json + "Origin: https://a.example\r\n", 16_000],
      [404, "/v1/predict", key + json, 16_000],
      [405, "/model/info", key + json, 16_000],
      [429, "/predict", key + json, 16_000],
    ];
    for (const [status, path, headers, length] of refused) {
      const request = `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n` +
        `Expect: 100-continue\r\n${headers}\r\n`;
      const { conn, answer, done } = await expectContinue(server.port, request);
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${status}: ${JSON.stringify(answer)}`);
      assert.doesNotMatch(answer, /100 Continue/);
      // The body was not asked for, so the connection cannot carry another request: it ends.
      assert.match(answer, /connection: close/i);
      assert.equal(await conn.read(new Uint8Array(16)), null, `${status}: the server ends the connection`);
      done();
      conn.close();
    }
    for (let i = 0; i < 50 && server.stats().openConnections > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(server.stats().openConnections, 0);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("Expect: 100-continue with no model loaded: /predict and /predict/batch answer 503 at once, without 100 and unsent", async () => {
  // The app read the body before it looked for a model, so a client got 100 Continue and uploaded its whole
  // batch just to be told no model is loaded.
  const store = new ModelStore();
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    for (const path of ["/predict", "/predict/batch"]) {
      const { conn, answer, done } = await expectContinue(
        server.port,
        `POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n` +
          `Expect: 100-continue\r\n\r\n`,
      );
      assert.match(answer, /^HTTP\/1\.1 503 /, `${path}: ${JSON.stringify(answer)}`);
      assert.doesNotMatch(answer, /100 Continue/);
      assert.match(answer, /no model loaded/);
      assert.equal(await conn.read(new Uint8Array(16)), null, `${path}: the server ends the connection`);
      done();
      conn.close();
    }
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("Expect: 100-continue: a body the app reads gets 100 Continue first, then its answer, on a kept connection", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { log: () => {}, apiKey: "k3y" });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const encoder = new TextEncoder();
    const body = encoder.encode(JSON.stringify(predictBody()));
    const head = `POST /predict HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer k3y\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.byteLength}\r\nExpect: 100-continue\r\n\r\n`;
    const { conn, answer, done } = await expectContinue(server.port, head);
    try {
      assert.equal(answer, "HTTP/1.1 100 Continue\r\n\r\n");
      await conn.write(body);
      const final = await readAnswer(conn);
      assert.match(final, /^HTTP\/1\.1 200 /);
      assert.equal(JSON.parse(final.slice(final.indexOf("\r\n\r\n") + 4)).symbol, "BTCUSDT");
      // The same connection serves a second one, without Expect.
      await conn.write(encoder.encode(head.replace("Expect: 100-continue\r\n", "")));
      await conn.write(body);
      assert.match(await readAnswer(conn), /^HTTP\/1\.1 200 /);
    } finally {
      done();
      conn.close();
    }
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("Expect other than 100-continue: the app answers it as any other request, logged (401 without the key)", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const logged: Record<string, unknown>[] = [];
  const app = createApp(store, { log: (r) => logged.push(r), apiKey: "k3y" });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const body = JSON.stringify(predictBody());
    const request = (auth: string) =>
      `POST /predict HTTP/1.1\r\nHost: a\r\n${auth}Expect: foo\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${new TextEncoder().encode(body).byteLength}\r\nConnection: close\r\n\r\n${body}`;
    // Before: node:http's "417 Expectation Failed" with an empty body, before auth, and no log line.
    const refused = await raw(server.port, request(""));
    assert.match(refused, /^HTTP\/1\.1 401 /);
    const answered = await raw(server.port, request("Authorization: Bearer k3y\r\n"));
    assert.match(answered, /^HTTP\/1\.1 200 /);
    assert.equal(JSON.parse(answered.slice(answered.indexOf("\r\n\r\n") + 4)).symbol, "BTCUSDT");
    assert.deepEqual(logged.filter((r) => r.path === "/predict").map((r) => r.status), [401, 200]);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("Expect: 100-continue: a large body the app streams arrives whole after 100 Continue", async () => {
  // Such a body is handed over as a stream that reads nothing ahead (so that creating it asks for nothing):
  // 900 kB in 64 kB pieces, each read on demand.
  const server = await listen(
    async (request) => new Response(String((await request.arrayBuffer()).byteLength)),
    { hostname: "127.0.0.1", port: 0 },
  );
  const body = new Uint8Array(900_000).fill(49);
  const { conn, answer, done } = await expectContinue(
    server.port,
    `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.byteLength}\r\nExpect: 100-continue\r\n\r\n`,
  );
  try {
    assert.equal(answer, "HTTP/1.1 100 Continue\r\n\r\n");
    await conn.write(body);
    const final = await readAnswer(conn);
    assert.match(final, /^HTTP\/1\.1 200 /);
    assert.ok(final.endsWith("\r\n\r\n900000"), final);
  } finally {
    done();
    conn.close();
    await server.shutdown();
  }
});

Deno.test("Expect: 100-continue: the listener's own 503 (over --max-in-flight) goes out without 100, and the connection ends", async () => {
  const server = await listen(() => new Response("never"), {
    hostname: "127.0.0.1",
    port: 0,
    maxInFlight: 0,
  });
  try {
    const { conn, answer, done } = await expectContinue(
      server.port,
      "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 16000\r\nExpect: 100-continue\r\n\r\n",
    );
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.doesNotMatch(answer, /100 Continue/);
    assert.match(answer, /connection: close/i);
    assert.equal(await conn.read(new Uint8Array(16)), null, "the server ends the connection");
    done();
    conn.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("a body sent with a transfer coding besides chunked (gzip, chunked) gets a 415 naming it, not 'not valid UTF-8'", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { log: () => {} });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const gzipped = new Uint8Array(
      await new Response(
        new Blob([JSON.stringify(predictBody())]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const head = "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" +
      "Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n";
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const timer = setTimeout(() => conn.close(), 5000);
    try {
      const enc = new TextEncoder();
      await conn.write(enc.encode(head + gzipped.byteLength.toString(16) + "\r\n"));
      await conn.write(gzipped);
      await conn.write(enc.encode("\r\n0\r\n\r\n"));
      const answer = await new Response(conn.readable).text();
      assert.match(answer, /^HTTP\/1\.1 415 /, answer);
      assert.match(answer, /Transfer-Encoding \\"gzip\\" is not supported: send the JSON body uncompressed/);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("a broken chunked body after the app answered from the headers (401): the 401 is what the client got and the log says", async () => {
  // 016373b left the listener's line out mid-body, assuming the app's said 400; the app had answered 401
  // without reading the body, so the log and /metrics said 401 while the client got 400 (an operator's trial).
  // Now the app's 401 goes out, and the parser's 400 behind it is logged `unanswered`.
  const store = new ModelStore();
  store.install(new FakePredictor());
  const lines: Record<string, unknown>[] = [];
  const app = createApp(store, { log: (r) => lines.push(r), apiKey: "0123456789abcdef0123456789abcdef" });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, log: (r) => lines.push(r) });
  try {
    const answer = await raw(
      server.port,
      "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
        '5\r\n{"a":\r\nZZ\r\n',
    );
    assert.deepEqual(wireStatuses(answer), [401], answer);
    for (let i = 0; i < 50 && !lines.some((l) => l.event === "unanswered"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      lines.filter((l) => l.status !== undefined).map((l) => l.status),
      [401],
      JSON.stringify(lines),
    );
    assert.ok(
      lines.some((l) => l.event === "unanswered" && String(l.code).startsWith("HPE_")),
      JSON.stringify(lines),
    );
  } finally {
    await server.shutdown();
    await store.close();
  }
});

/** The status of each answer in `text`, what a connection carried, in order. */
const wireStatuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

Deno.test("a whole request pipelined before a malformed one (or a CONNECT): its answer goes out first, then the 400 (answers in order)", async () => {
  // The listener wrote its 400 straight to the socket and cut it, ahead of the answer node:http still owed the
  // request before: the client read the 400 in place of a 200 that the request line and /metrics said it got
  // (an operator's soak test). HTTP/1.1 answers pipelined requests in order.
  const t = await observed(30_000, 200); // a slow model: its answer comes well after the parser's error
  try {
    const slowPost = await t.send(async (conn) => {
      await conn.write(
        new Uint8Array([...t.head, ...t.body, ...new TextEncoder().encode("GARBAGE\r\n\r\n")]),
      );
    });
    assert.deepEqual(wireStatuses(slowPost), [200, 400], slowPost);
    assert.match(slowPost, /"symbol":"BTCUSDT"/);
    assert.match(
      slowPost.slice(slowPost.lastIndexOf("HTTP/1.1 ")),
      /its request line or headers could not be parsed/,
    );
    const health = await raw(
      t.server.port,
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nBad Header\r\n\r\n",
    );
    assert.deepEqual(wireStatuses(health), [200, 400], health);
    assert.match(health, /"status":"healthy"/);
    // The body of the request after the whole one breaks: its 400 (the body's) still comes second, and the
    // broken request's own line says the 400 it got.
    const broken = await raw(
      t.server.port,
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\nPOST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n" +
        'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nzz\r\n\r\n',
    );
    assert.deepEqual(wireStatuses(broken), [200, 400], broken);
    assert.match(broken, /its body does not follow its framing/);
    // node:http hands a CONNECT's socket to the listener, whose 405 overtook the answer owed before it too.
    const connect = await t.send(async (conn) => {
      await conn.write(
        new Uint8Array([
          ...t.head,
          ...t.body,
          ...new TextEncoder().encode("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
        ]),
      );
    });
    assert.deepEqual(wireStatuses(connect), [200, 405], connect);
    await t.settle(6);
    assert.deepEqual(
      t.lines.filter((l) => l.path !== undefined).map((l) => [l.path, l.status]),
      [["/predict", 200], ["/health", 200], ["/health", 200], ["/predict", 400], ["/predict", 200], [
        "a:443",
        405,
      ]],
    );
    // One listener line per 400 sent, each after the answer before it.
    const listenerLines = t.lines.filter((l) => l.path === undefined && typeof l.code === "string");
    assert.deepEqual(listenerLines.map((l) => l.status), [400, 400, 400]);
    assert.deepEqual(await t.counted(), { "200": 2, "400": 1 });
    assert.equal(t.server.stats().clientErrors, 3);
  } finally {
    await t.stop();
  }
});

Deno.test("draining: requests pipelined behind an answer that closes the connection are logged unanswered, not as 503s never sent", async () => {
  // A draining server's answers carry `Connection: close`, and node:http closes the socket after the first of
  // them: the 503s of the requests pipelined behind it were logged (and the app's counted in /metrics) but
  // never sent (an operator's soak test).
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 400 }));
  const lines: Record<string, unknown>[] = [];
  const metrics = new Metrics();
  let stopping = false;
  const app = createApp(store, { log: (r) => lines.push(r), metrics, shuttingDown: () => stopping });
  // As serve runs it: /health and / go to the app while draining, and say "shutting down" in their SPEC body.
  const server = await listen(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
    openWhileDraining: true,
    log: (r) => lines.push(r),
  });
  const inFlight = fetch(`${server.url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  stopping = true;
  const stopped = server.shutdown();
  try {
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
    // The app's 503 for /health, then the listener's for /model/info, which closes the connection: / behind it
    // is never answered.
    const mixed = await raw(server.port, get("/health") + get("/model/info") + get("/"));
    // The listener's own 503s alone: the first closes the connection.
    const refused = await raw(server.port, get("/model/info").repeat(3));
    assert.equal((await inFlight).status, 200);
    await stopped;
    assert.deepEqual(wireStatuses(mixed), [503, 503], mixed);
    assert.match(mixed, /"shutting_down":true/);
    assert.deepEqual(wireStatuses(refused), [503], refused);
    // One line with a status for each answer sent, and an `unanswered` line for each request that was not.
    const answered = lines.filter((l) => l.status !== undefined && l.path !== "/predict");
    assert.deepEqual(answered.map((l) => [l.path, l.status]), [
      ["/health", 503],
      ["/model/info", 503],
      ["/model/info", 503],
    ]);
    const unanswered = lines.filter((l) => l.event === "unanswered");
    assert.deepEqual(unanswered.map((l) => [l.method, l.path, l.peer]), [
      ["GET", "/", "127.0.0.1"],
      ["GET", "/model/info", "127.0.0.1"],
      ["GET", "/model/info", "127.0.0.1"],
    ]);
    assert.ok(
      unanswered.every((l) => /Connection: close/.test(String(l.detail))),
      JSON.stringify(unanswered),
    );
    // /metrics counts the app's answers that were sent: one 503 for /health, none for /.
    const text = await metrics.renderAll(store.status());
    assert.match(text, /^candlecast_http_requests_total\{route="\/health",method="GET",status="503"\} 1$/m);
    assert.doesNotMatch(text, /^candlecast_http_requests_total\{route="\/",/m);
  } finally {
    await stopped;
    await store.close();
  }
});

Deno.test("a client error behind answers its client never reads: the connection is still cut, and the unsent 400 logged as such", async () => {
  // The 400 waits for the answers owed ahead of it; a client that reads none of them must not hold the
  // connection for ever (the answers of a slow model, which wait in no socket, cut no one).
  const lines: Record<string, unknown>[] = [];
  const server = await listen(() => new Response("y".repeat(4 << 20)), {
    hostname: "127.0.0.1",
    port: 0,
    requestTimeoutMs: 1000,
    log: (r) => lines.push(r),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(
      new TextEncoder().encode("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".repeat(3) + "BAD\r\n\r\n"),
    );
    const started = performance.now();
    while (server.stats().openConnections > 0 && performance.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const held = performance.now() - started;
    assert.ok(held >= 900 && held < 3500, `held ${Math.round(held)} ms`);
    assert.deepEqual(lines.map((l) => [l.event, l.status]), [["connection_cut", undefined], [
      "unanswered",
      undefined,
    ]]);
    assert.equal(lines[0].reason, "reads_no_answers");
    assert.equal(lines[1].code, "HPE_ERROR");
    assert.match(String(lines[1].detail), /^its 400 \(malformed HTTP request: .*\) was not sent/);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("a client error behind an early answer that closes the connection (401 from the headers) is not written after it", async () => {
  // A review of f1fd40c: the 400 waited only for the answers owed to whole requests, so behind a slow 200 and
  // an early 401 (sent before its chunked body ended, with `Connection: close`) it went out after the close
  // and was logged as sent.
  const store = new ModelStore();
  store.install(new FakePredictor({ delayMs: 300 }));
  const lines: Record<string, unknown>[] = [];
  const apiKey = "0123456789abcdef0123456789abcdef";
  const app = createApp(store, { log: (r) => lines.push(r), apiKey });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, log: (r) => lines.push(r) });
  try {
    const slow = JSON.stringify(predictBody());
    const answer = await raw(
      server.port,
      `POST /predict HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${new TextEncoder().encode(slow).byteLength}\r\n\r\n${slow}` +
        "POST /predict HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
        '5\r\n{"a":\r\nZZ\r\n',
    );
    assert.deepEqual(wireStatuses(answer), [200, 401], answer);
    for (let i = 0; i < 50 && !lines.some((l) => l.event === "unanswered"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // The listener's 400 was not written: it says so, and no line claims a 400 went out.
    assert.ok(lines.some((l) => l.event === "unanswered" && l.status === undefined), JSON.stringify(lines));
    assert.deepEqual(lines.filter((l) => l.status === 400), [], JSON.stringify(lines));
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("a broken chunked body in the same write as headers the app answers alone (401, 415, 404): the app's answer goes out, and wire, log and /metrics agree", async () => {
  // The listener wrote its 400 at once and cut the connection, while the app's 401 (from the headers alone),
  // finished a moment later, was logged and counted in /metrics though never sent (an operator's soak test).
  const store = new ModelStore();
  store.install(new FakePredictor());
  const lines: Record<string, unknown>[] = [];
  const metrics = new Metrics();
  const apiKey = "0123456789abcdef0123456789abcdef";
  const app = createApp(store, { log: (r) => lines.push(r), metrics, apiKey });
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0, log: (r) => lines.push(r) });
  const broken = (path: string, headers: string) =>
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}Transfer-Encoding: chunked\r\n\r\n` +
    '5\r\n{"a":\r\nzz\r\n\r\n';
  try {
    const sent = [
      await raw(server.port, broken("/predict", "Content-Type: application/json\r\n")),
      await raw(
        server.port,
        broken("/predict", `Authorization: Bearer ${apiKey}\r\nContent-Type: text/plain\r\n`),
      ),
      await raw(server.port, broken("/nope", `Authorization: Bearer ${apiKey}\r\n`)),
    ];
    assert.deepEqual(sent.map(wireStatuses), [[401], [415], [404]], sent.join("\n"));
    for (let i = 0; i < 50 && lines.filter((l) => l.event === "unanswered").length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // One line with a status for each answer sent, and the listener's 400 (never written) as `unanswered`.
    assert.deepEqual(
      lines.filter((l) => l.status !== undefined).map((l) => [l.path, l.status]),
      [["/predict", 401], ["/predict", 415], ["/nope", 404]],
      JSON.stringify(lines),
    );
    const unanswered = lines.filter((l) => l.event === "unanswered");
    assert.equal(unanswered.length, 3, JSON.stringify(lines));
    assert.ok(
      unanswered.every((l) => String(l.code).startsWith("HPE_") && /^its 400 \(/.test(String(l.detail))),
      JSON.stringify(unanswered),
    );
    const text = await metrics.renderAll(store.status());
    assert.match(text, /^candlecast_http_requests_total\{route="\/predict",method="POST",status="401"\} 1$/m);
    assert.match(text, /^candlecast_http_requests_total\{route="\/predict",method="POST",status="415"\} 1$/m);
    assert.doesNotMatch(text, /status="400"/);
    assert.equal(server.stats().clientErrors, 3);
  } finally {
    await server.shutdown();
    await store.close();
  }
});

Deno.test("a broken chunked body on a request the app never answers: the wait for its answer is bounded, and the shutdown completes", async () => {
  const lines: Record<string, unknown>[] = [];
  let called = 0;
  // Never answers, never reads the body.
  const server = await listen(() => {
    called++;
    return new Promise<Response>(() => {});
  }, {
    hostname: "127.0.0.1",
    port: 0,
    requestTimeoutMs: 600,
    shutdownTimeoutMs: 300,
    log: (r) => lines.push(r),
  });
  try {
    const started = performance.now();
    const answer = await raw(
      server.port,
      "POST /predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + '5\r\n{"a":\r\nzz\r\n\r\n',
      5000,
    );
    const held = performance.now() - started;
    assert.equal(called, 1);
    // Cut by the request timeout at the latest, with the listener's 400 (the request's only answer).
    assert.deepEqual(wireStatuses(answer), [400], answer);
    assert.ok(held < 2500, `held ${Math.round(held)} ms`);
    assert.deepEqual(lines.map((l) => l.status), [400], JSON.stringify(lines));
  } finally {
    const stopping = performance.now();
    await server.shutdown();
    assert.ok(performance.now() - stopping < 2000);
  }
});

Deno.test("an app that throws while its chunked body is broken: one 500 that ends the connection, the listener's 400 unanswered", async () => {
  // A review of d3e3832: the 500 written for a request whose body never completed left the connection open,
  // and the listener's 400 for that body, waiting for the app to decide, went out after it: two answers to one
  // request.
  const lines: Record<string, unknown>[] = [];
  const server = await listen(async () => {
    await new Promise((r) => setTimeout(r, 100));
    throw new Error("boom");
  }, { hostname: "127.0.0.1", port: 0, requestTimeoutMs: 2000, log: (r) => lines.push(r) });
  try {
    const answer = await raw(
      server.port,
      'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\nzz\r\n\r\n',
    );
    assert.deepEqual(wireStatuses(answer), [500], answer);
    assert.match(answer, /connection: close/i);
    for (let i = 0; i < 50 && !lines.some((l) => l.event === "unanswered"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(lines.some((l) => l.event === "unanswered"), JSON.stringify(lines));
    assert.deepEqual(lines.filter((l) => l.status === 400), [], JSON.stringify(lines));
  } finally {
    await server.shutdown();
  }
});

/** How many times an answer's head (up to its blank line) carries `X-Content-Type-Options: nosniff`. */
const noSniffHeaders = (answer: string) =>
  answer.slice(0, answer.indexOf("\r\n\r\n")).split("\r\n")
    .filter((line) => /^x-content-type-options:\s*nosniff\s*$/i.test(line)).length;

Deno.test("every answer serve sends carries X-Content-Type-Options: nosniff, once: the app's, the listener's, those written to the socket", async () => {
  // None did: a browser could sniff a JSON body that quotes the client (a 404's path) as HTML.
  const t = await observed();
  const throwing = await listen(() => {
    throw new Error("boom");
  }, { hostname: "127.0.0.1", port: 0, log: () => {} });
  const timing = await listen(createApp(new ModelStore(), { log: () => {} }).fetch, {
    hostname: "127.0.0.1",
    port: 0,
    headersTimeoutMs: 300,
  });
  try {
    const close = "Connection: close\r\n";
    const answers: [string, number][] = [
      // The app's, through the listener.
      [await raw(t.server.port, `GET /health HTTP/1.1\r\nHost: a\r\n${close}\r\n`), 200],
      [await raw(t.server.port, `HEAD /health HTTP/1.1\r\nHost: a\r\n${close}\r\n`), 200],
      [await raw(t.server.port, `GET /nope HTTP/1.1\r\nHost: a\r\n${close}\r\n`), 404],
      // The listener's own (request.ts), and its 500 when the app throws.
      [await raw(t.server.port, `TRACE /health HTTP/1.1\r\nHost: a\r\n${close}\r\n`), 405],
      [await raw(t.server.port, "GET /health HTTP/1.1\r\n\r\n"), 400],
      [await raw(t.server.port, `GET health HTTP/1.1\r\nHost: a\r\n${close}\r\n`), 400],
      [await raw(throwing.port, `GET /health HTTP/1.1\r\nHost: a\r\n${close}\r\n`), 500],
      // Written straight to the socket (socket_answers.ts).
      [await raw(t.server.port, "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: a\r\n\r\n"), 405],
      [await raw(t.server.port, "NONSENSE\r\n\r\n"), 400],
      [
        await raw(t.server.port, `GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`),
        431,
      ],
      [await raw(timing.port, "GET /health HTTP/1.1\r\nHost: a\r\n", 2500), 408],
    ];
    for (const [answer, status] of answers) {
      assert.deepEqual(wireStatuses(answer), [status], answer);
      assert.equal(noSniffHeaders(answer), 1, answer);
    }
  } finally {
    await t.stop();
    await throwing.shutdown();
    await timing.shutdown();
  }
});

Deno.test("a request asking to upgrade is answered as any other, with Connection: close; bytes sent behind it are logged unanswered", async () => {
  // node:http's parser stops at the end of a request asking to upgrade (as if the protocol had switched), and
  // node:http, declining, dropped the rest of that read while the connection stayed open: a request pipelined
  // behind it in the same write got no answer and left no log line (one in a later write was answered).
  const t = await observed();
  try {
    const behind = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
    const started = performance.now();
    const websocket = await raw(
      t.server.port,
      "GET /health HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n" + behind,
    );
    assert.ok(performance.now() - started < 2000, "the connection closes after the answer");
    assert.deepEqual(wireStatuses(websocket), [200], websocket);
    assert.match(websocket, /\r\nConnection: close\r\n/i);
    assert.match(websocket, /"status":"healthy"/);
    // An upgrade with a body (h2c from a POST): the body is read and answered, what follows it dropped alike.
    const h2c = await raw(
      t.server.port,
      `POST /predict HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n` +
        `HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${t.body.byteLength}\r\n\r\n${new TextDecoder().decode(t.body)}${behind}`,
    );
    assert.deepEqual(wireStatuses(h2c), [200], h2c);
    assert.match(h2c, /\r\nConnection: close\r\n/i);
    assert.match(h2c, /"symbol":"BTCUSDT"/);
    await t.settle(2);
    assert.deepEqual(t.lines.filter((l) => l.path !== undefined).map((l) => [l.path, l.status]), [
      ["/health", 200],
      ["/predict", 200],
    ]);
    const unanswered = t.lines.filter((l) => l.event === "unanswered");
    assert.deepEqual(unanswered.map((l) => [l.peer, l.bytes]), [
      ["127.0.0.1", behind.length],
      ["127.0.0.1", behind.length],
    ], JSON.stringify(t.lines));
    assert.match(
      String(unanswered[0].detail),
      /^not answered: 33 bytes .*\(GET \/health, Upgrade: websocket\)/,
    );
    assert.match(String(unanswered[1].detail), /\(POST \/predict, Upgrade: h2c\).*Connection: close/);
    // Nothing behind it at all: answered and closed, no unanswered line.
    const alone = await raw(
      t.server.port,
      "GET /health HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    );
    assert.deepEqual(wireStatuses(alone), [200], alone);
    // `Upgrade` without `Connection: Upgrade` asks for nothing (the parser reads on): answered in order, kept.
    const notAsked = await raw(
      t.server.port,
      "GET /health HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n" + behind +
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(wireStatuses(notAsked), [200, 200, 200], notAsked);
    await t.settle(6);
    assert.equal(t.lines.filter((l) => l.event === "unanswered").length, 2, JSON.stringify(t.lines));
  } finally {
    await t.stop();
  }
});

Deno.test("a request sent behind an upgrade request in a later write is not answered either, and logged unanswered", async () => {
  // Before, one rule for bytes in the same write as the upgrade request (dropped unseen) and another for a
  // later write (answered): which one a client met depended on how TCP cut its bytes.
  const t = await observed(30_000, 300);
  try {
    const answer = await t.send(async (conn) => {
      await conn.write(new TextEncoder().encode(
        "POST /predict HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
          `Content-Type: application/json\r\nContent-Length: ${t.body.byteLength}\r\n\r\n`,
      ));
      await conn.write(t.body);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the model takes 300 ms
      await conn.write(new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: a\r\n\r\n"));
    });
    assert.deepEqual(wireStatuses(answer), [200], answer);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    await t.settle(1);
    const unanswered = t.lines.filter((l) => l.event === "unanswered");
    assert.deepEqual(unanswered.map((l) => [l.method, l.path, l.peer]), [["GET", "/health", "127.0.0.1"]]);
    assert.match(String(unanswered[0].detail), /Connection: close/);
  } finally {
    await t.stop();
  }
});
