import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { listen } from "./listen.ts";
import { Metrics } from "./metrics.ts";
import { ModelStore } from "./models/store.ts";
import type { LogRecord } from "./log.ts";
import { clientOf, markRemoteAddress, RateLimiter } from "./rate_limit.ts";
import { type AddressRange, parseAddressRange } from "./trusted_proxy.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";

/** A clock the test moves by hand, in ms. */
function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => t += ms };
}

/** `--trusted-proxies` as the CLI parses it. */
function trust(...texts: string[]): AddressRange[] {
  return texts.map((text) => {
    const range = parseAddressRange(text);
    if ("problem" in range) throw new Error(range.problem);
    return range;
  });
}

function setup(options: {
  rate: number;
  burst: number;
  maxClients?: number;
  apiKey?: string;
  trustedProxies?: readonly AddressRange[];
  proxyHeader?: "x-forwarded-for" | "forwarded";
  ipv6Prefix?: number;
}) {
  const time = clock();
  const limiter = new RateLimiter({ ...options, now: time.now });
  const store = new ModelStore();
  store.install(new FakePredictor());
  const metrics = new Metrics();
  const logs: LogRecord[] = [];
  const app = createApp(store, {
    rateLimit: limiter,
    metrics,
    log: (r) => logs.push(r),
    apiKey: options.apiKey,
  });
  return { app, limiter, metrics, time, logs };
}

/** A POST /predict as if from `address` (what the listener records for every request). */
function predictFrom(address: string, headers: Record<string, string> = {}): Request {
  const request = new Request("http://candlecast.invalid/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(predictBody()),
  });
  markRemoteAddress(request, address);
  return request;
}

function getFrom(address: string, path: string): Request {
  const request = new Request(`http://candlecast.invalid${path}`);
  markRemoteAddress(request, address);
  return request;
}

Deno.test("rate limit: a client within its burst is answered as before", async () => {
  const { app } = setup({ rate: 1, burst: 3 });
  for (let i = 0; i < 3; i++) {
    const res = await app.request(predictFrom("10.0.0.1"));
    assert.equal(res.status, 200, `request ${i + 1} of the burst`);
    assert.equal(res.headers.get("retry-after"), null);
    await res.body?.cancel();
  }
});

Deno.test("rate limit: over it, 429 with Retry-After and SPEC §4's {detail} body; counted on /metrics", async () => {
  const { app } = setup({ rate: 0.5, burst: 2 });
  for (let i = 0; i < 2; i++) await (await app.request(predictFrom("10.0.0.1"))).body?.cancel();
  const res = await app.request(predictFrom("10.0.0.1"));
  assert.equal(res.status, 429);
  // Empty bucket at 0.5 tokens/s: one token in 2 s.
  assert.equal(res.headers.get("retry-after"), "2");
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["detail"]);
  assert.match(body.detail, /too many requests .* 0\.5 per second .* retry after 2 s/);

  // Scraped from the limited client's own address: /metrics is not limited, and took no token.
  const scrape = await app.request(getFrom("10.0.0.1", "/metrics"));
  assert.equal(scrape.status, 200);
  const text = await scrape.text();
  assert.match(text, /^candlecast_http_requests_rate_limited_total 1$/m);
  assert.match(text, /^candlecast_http_requests_total\{route="\/predict",method="POST",status="429"\} 1$/m);
  assert.match(text, /^candlecast_rate_limit_clients 1$/m);
});

Deno.test("rate limit: /, /health and /metrics are never limited, so a health check or a scrape is not refused behind a burst", async () => {
  const { app } = setup({ rate: 1, burst: 1 });
  await (await app.request(predictFrom("10.0.0.1"))).body?.cancel();
  assert.equal((await app.request(predictFrom("10.0.0.1"))).status, 429);
  for (let i = 0; i < 5; i++) {
    for (const path of ["/", "/health", "/metrics"]) {
      const res = await app.request(getFrom("10.0.0.1", path));
      assert.equal(res.status, 200, path);
      await res.body?.cancel();
    }
  }
  // And they took no token: still one in a second.
  assert.equal((await app.request(getFrom("10.0.0.1", "/model/info"))).status, 429);
});

Deno.test("rate limit: /metrics with a wrong key is limited like any route, with the key never", async () => {
  const key = "k".repeat(32);
  const { app } = setup({ rate: 1, burst: 2, apiKey: key });
  const scrape = (bearer: string) => {
    const request = getFrom("10.0.0.1", "/metrics");
    request.headers.set("Authorization", `Bearer ${bearer}`);
    return app.request(request);
  };
  // Before: 30 wrong keys, 30 × 401 and no 429: a door for guessing the key at ~1,000 tries a second (a
  // security review), while /model/info answered 429 from the third.
  const wrong = [];
  for (let i = 0; i < 5; i++) wrong.push((await scrape(`guess${i}`)).status);
  assert.deepEqual(wrong, [401, 401, 429, 429, 429]);
  // The key holder's scrape is still never refused behind the burst.
  for (let i = 0; i < 5; i++) assert.equal((await scrape(key)).status, 200);
});

Deno.test("rate limit: two clients are independent; one in a loop does not spend the other's share", async () => {
  const { app } = setup({ rate: 1, burst: 2 });
  for (let i = 0; i < 50; i++) await (await app.request(predictFrom("10.0.0.1"))).body?.cancel();
  assert.equal((await app.request(predictFrom("10.0.0.1"))).status, 429);
  for (let i = 0; i < 2; i++) {
    const res = await app.request(predictFrom("10.0.0.2"));
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  // An IPv4-mapped address (a dual-stack listener's) is the same client as the IPv4 one, in either form.
  assert.equal((await app.request(predictFrom("::ffff:10.0.0.2"))).status, 429);
  assert.equal((await app.request(predictFrom("::ffff:a00:2"))).status, 429);
});

Deno.test("rate limit: IPv6 clients share a bucket per /64, so one site cannot rotate addresses past it", async () => {
  const { app } = setup({ rate: 1, burst: 2 });
  const status = async (address: string) => {
    const res = await app.request(predictFrom(address));
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await status("2001:db8:0:1::1"), 200);
  assert.equal(await status("2001:db8:0:1:a:b:c:d"), 200);
  // A third address in the same /64 (another form of writing one, too) finds the bucket empty.
  assert.equal(await status("2001:DB8:0000:0001:ffff:ffff:ffff:fffe"), 429);
  assert.equal(await status("2001:db8:0:1::2"), 429);
  // The next /64 (a neighbouring site in the same /48) is another client.
  assert.equal(await status("2001:db8:0:2::1"), 200);
  assert.equal(await status("2001:db8:0:2::1"), 200);
  assert.equal(await status("2001:db8:0:2::1"), 429);
});

Deno.test("rate limit: rotating through a /64 takes one slot of the client table, evicting no one", async () => {
  const { app } = setup({ rate: 1, burst: 1, maxClients: 2 });
  assert.equal((await app.request(predictFrom("192.0.2.7"))).status, 200);
  for (let i = 0; i < 200; i++) {
    await (await app.request(predictFrom(`2001:db8:aa:bb:${i.toString(16)}::1`))).body?.cancel();
  }
  // 192.0.2.7 kept its (empty) bucket: not forgotten and handed a fresh burst.
  assert.equal((await app.request(predictFrom("192.0.2.7"))).status, 429);
  const text = await (await app.request(getFrom("192.0.2.7", "/metrics"))).text();
  assert.match(text, /^candlecast_rate_limit_clients 2$/m);
  assert.match(text, /^candlecast_rate_limit_clients_evicted_total 0$/m);
  // 199 of the rotating requests (all but the first, the /64's one token) and 192.0.2.7's second.
  assert.match(text, /^candlecast_http_requests_rate_limited_total 200$/m);
});

Deno.test("rate limit: behind a trusted proxy, each client X-Forwarded-For names gets its own bucket", async () => {
  const { app } = setup({ rate: 1, burst: 2, trustedProxies: trust("10.0.0.0/8", "::1") });
  const status = async (peer: string, forwardedFor?: string) => {
    const res = await app.request(
      predictFrom(peer, forwardedFor === undefined ? {} : { "X-Forwarded-For": forwardedFor }),
    );
    await res.body?.cancel();
    return res.status;
  };
  // Two bots behind one nginx (10.0.0.1): before, one bucket for both.
  assert.equal(await status("10.0.0.1", "203.0.113.5"), 200);
  assert.equal(await status("10.0.0.1", "203.0.113.5"), 200);
  assert.equal(await status("10.0.0.1", "203.0.113.5"), 429);
  assert.equal(await status("10.0.0.1", "198.51.100.9"), 200, "the second bot has its own burst");
  assert.equal(await status("10.0.0.1", "198.51.100.9"), 200);
  assert.equal(await status("10.0.0.1", "198.51.100.9"), 429);
  // Over IPv6 loopback, with its IPv6 client grouped by /64 as a direct one is.
  assert.equal(await status("::1", "2001:db8:0:1::1"), 200);
  assert.equal(await status("::1", "2001:db8:0:1::2"), 200);
  assert.equal(await status("::1", "2001:db8:0:1::3"), 429);

  // A client that writes its own X-Forwarded-For: nginx appends the address it saw, and that is the client.
  for (const spoof of ["192.0.2.1", "192.0.2.2, 192.0.2.3", "10.0.0.99", "garbage"]) {
    assert.equal(await status("10.0.0.1", `${spoof}, 203.0.113.5`), 429, `spoofed ${spoof}`);
  }
  // Through two trusted proxies (a load balancer, then nginx), the client is still the one the first saw.
  assert.equal(await status("10.0.0.1", "192.0.2.1, 203.0.113.5, 10.0.0.2"), 429);

  // No usable header from the proxy: the proxy's own address, one bucket (a third "client").
  assert.equal(await status("10.0.0.1"), 200);
  assert.equal(await status("10.0.0.1", ""), 200);
  assert.equal(
    await status("10.0.0.1", "[203.0.113.5]:4711"),
    429,
    "malformed: the proxy's bucket, now empty",
  );
  // With a port (Azure Application Gateway's form): the client, whose bucket is empty, not the proxy's.
  assert.equal(await status("10.0.0.1", "192.0.2.77:51234"), 200);
  assert.equal(await status("10.0.0.1", "192.0.2.77:51235"), 200);
  assert.equal(await status("10.0.0.1", "192.0.2.77:51236"), 429);
});

Deno.test("rate limit: with proxyHeader forwarded, RFC 7239's for= names the client, and X-Forwarded-For is not read", async () => {
  const { app } = setup({ rate: 1, burst: 1, trustedProxies: trust("10.0.0.0/8"), proxyHeader: "forwarded" });
  const status = async (headers: Record<string, string>) => {
    const res = await app.request(predictFrom("10.0.0.1", headers));
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await status({ Forwarded: "for=203.0.113.5;proto=https" }), 200);
  assert.equal(await status({ Forwarded: 'for="[2001:db8:cafe::17]:4711"' }), 200, "another client");
  assert.equal(await status({ Forwarded: 'for="203.0.113.5:80", for=10.0.0.2' }), 429);
  // A client's own X-Forwarded-For, which a proxy that writes Forwarded passes on, names no bucket.
  assert.equal(await status({ Forwarded: "for=198.51.100.9", "X-Forwarded-For": "192.0.2.1" }), 200);
  assert.equal(await status({ Forwarded: "for=198.51.100.9", "X-Forwarded-For": "192.0.2.2" }), 429);
  // No Forwarded, or a hidden client: the proxy's own bucket.
  assert.equal(await status({ "X-Forwarded-For": "192.0.2.3" }), 200);
  assert.equal(await status({ Forwarded: "for=_hidden" }), 429);
});

Deno.test("rate limit: a 429's log line says why and which client: the one its bucket is, and behind a proxy the proxy as peer", async () => {
  // The line of a 429 said only status 429: neither the limit nor the client over it.
  const { app, logs } = setup({ rate: 1, burst: 1, trustedProxies: trust("10.0.0.0/8") });
  const send = async (peer: string, headers: Record<string, string> = {}) => {
    const res = await app.request(predictFrom(peer, headers));
    await res.body?.cancel();
    return { status: res.status, line: logs.at(-1)! };
  };
  // Straight from the client: its socket's address.
  assert.deepEqual(pick((await send("198.51.100.9")).line), [200, "198.51.100.9", undefined, undefined]);
  const limited = await send("198.51.100.9");
  assert.equal(limited.status, 429);
  assert.deepEqual(pick(limited.line).slice(0, 3), [429, "198.51.100.9", undefined]);
  assert.match(
    String(limited.line.detail),
    /^too many requests from this client: .* 1 per second .* retry after 1 s/,
  );
  // Through a trusted proxy: the client its X-Forwarded-For names (right-most untrusted, as the bucket is),
  // and the proxy as `peer`; a spoofed left-most entry is not the client.
  const proxied = await send("10.0.0.1", { "X-Forwarded-For": "192.0.2.1, 203.0.113.5" });
  assert.deepEqual(pick(proxied.line), [200, "203.0.113.5", "10.0.0.1", undefined]);
  const again = await send("10.0.0.2", { "X-Forwarded-For": "203.0.113.5" });
  assert.deepEqual(pick(again.line).slice(0, 3), [429, "203.0.113.5", "10.0.0.2"]);
  // A proxy that names no client: the proxy is the client, as its bucket is.
  assert.deepEqual(pick((await send("10.0.0.3")).line), [200, "10.0.0.3", undefined, undefined]);
  // An IPv6 client is logged whole; its bucket is its /64.
  const v6 = await send("10.0.0.1", { "X-Forwarded-For": "[2001:db8:0:1::7]:443" });
  assert.deepEqual(pick(v6.line), [200, "2001:db8:0:1::7", "10.0.0.1", undefined]);
  assert.equal((await send("10.0.0.1", { "X-Forwarded-For": "2001:db8:0:1::8" })).status, 429);
});

/** A request line's status, client, peer and detail. */
const pick = (line: LogRecord) => [line.status, line.client, line.peer, line.detail];

Deno.test("rate limit: an untrusted peer's X-Forwarded-For is never read, so it cannot pick another bucket", async () => {
  const { app } = setup({ rate: 1, burst: 1, trustedProxies: trust("10.0.0.1") });
  const status = async (peer: string, forwardedFor: string) => {
    const res = await app.request(predictFrom(peer, { "X-Forwarded-For": forwardedFor }));
    await res.body?.cancel();
    return res.status;
  };
  assert.equal(await status("203.0.113.5", "192.0.2.1"), 200);
  assert.equal(await status("203.0.113.5", "192.0.2.2"), 429, "a new address in the header: same bucket");
  assert.equal(await status("203.0.113.5", "10.0.0.1"), 429);
  // Nor does it spend the bucket of the address it names.
  assert.equal(await status("10.0.0.1", "192.0.2.1"), 200);
  // Without --trusted-proxies (the default) no peer's header is read.
  const plain = setup({ rate: 1, burst: 1 }).app;
  for (const forwardedFor of ["192.0.2.1", "192.0.2.2"]) {
    const res = await plain.request(predictFrom("10.0.0.1", { "X-Forwarded-For": forwardedFor }));
    await res.body?.cancel();
    assert.equal(res.status, forwardedFor === "192.0.2.1" ? 200 : 429);
  }
});

Deno.test("rate limit: --rate-limit-ipv6-prefix sets how much of an IPv6 address is one client", async () => {
  const status = async (app: ReturnType<typeof setup>["app"], address: string) => {
    const res = await app.request(predictFrom(address));
    await res.body?.cancel();
    return res.status;
  };
  // /48: a customer rotating through the /64s of its allocation stays one client.
  const wide = setup({ rate: 1, burst: 1, ipv6Prefix: 48 }).app;
  assert.equal(await status(wide, "2001:db8:aa:1::1"), 200);
  assert.equal(await status(wide, "2001:db8:aa:2::1"), 429);
  assert.equal(await status(wide, "2001:db8:ab:1::1"), 200);
  // /128: hosts sharing a /64 (a cloud subnet) are separate clients.
  const narrow = setup({ rate: 1, burst: 1, ipv6Prefix: 128 }).app;
  assert.equal(await status(narrow, "2001:db8::1"), 200);
  assert.equal(await status(narrow, "2001:db8::2"), 200);
  assert.equal(await status(narrow, "2001:db8:0:0::1"), 429);
  for (const bad of [0, 129, 64.5, NaN]) {
    assert.throws(() => new RateLimiter({ rate: 1, burst: 1, ipv6Prefix: bad }), RangeError, String(bad));
  }
});

Deno.test("rate limit: keyed by address, not by the one shared bearer key, and applied before auth", async () => {
  const { app } = setup({ rate: 1, burst: 1, apiKey: "k3y" });
  const auth = { Authorization: "Bearer k3y" };
  assert.equal((await app.request(predictFrom("10.0.0.1", auth))).status, 200);
  assert.equal((await app.request(predictFrom("10.0.0.1", auth))).status, 429);
  // Another bot with the same key is not refused for the first one's loop.
  assert.equal((await app.request(predictFrom("10.0.0.2", auth))).status, 200);
  // A client without the key in a loop is slowed down too.
  assert.equal((await app.request(predictFrom("10.0.0.3"))).status, 401);
  assert.equal((await app.request(predictFrom("10.0.0.3"))).status, 429);
});

Deno.test("rate limit: the bucket refills at the rate, up to the burst (clock injected)", async () => {
  const { app, time } = setup({ rate: 2, burst: 4 });
  const status = async () => {
    const res = await app.request(predictFrom("10.0.0.1"));
    await res.body?.cancel();
    return res.status;
  };
  for (let i = 0; i < 4; i++) assert.equal(await status(), 200);
  assert.equal(await status(), 429);
  time.advance(499); // 0.998 tokens: not yet
  assert.equal(await status(), 429);
  time.advance(1); // one token at 2/s after 500 ms
  assert.equal(await status(), 200);
  assert.equal(await status(), 429);
  time.advance(60_000); // a long idle refills to the burst, not beyond
  for (let i = 0; i < 4; i++) assert.equal(await status(), 200);
  assert.equal(await status(), 429);
});

Deno.test("rate limit: Retry-After is whole seconds, at least 1, and enough for one token", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 0.3, burst: 1, now: time.now });
  assert.deepEqual(limiter.take("a"), { ok: true });
  assert.deepEqual(limiter.take("a"), { ok: false, retryAfterS: 4 }); // 1 / 0.3 = 3.33 s
  time.advance(3_000);
  assert.deepEqual(limiter.take("a"), { ok: false, retryAfterS: 1 }); // 0.9 tokens: 0.33 s more
  const fast = new RateLimiter({ rate: 100, burst: 1, now: time.now });
  fast.take("b");
  assert.deepEqual(fast.take("b"), { ok: false, retryAfterS: 1 });
});

Deno.test("rate limit: memory is bounded: refilled buckets are dropped, and past the cap the stalest goes", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 2, maxClients: 100, now: time.now });
  for (let i = 0; i < 10_000; i++) {
    limiter.take(`10.0.${i >> 8}.${i & 255}`);
    assert.ok(limiter.clients <= 100, `${limiter.clients} clients tracked`);
  }
  assert.equal(limiter.clients, 100);
  const evicted = limiter.samples().find((s) => s.name === "candlecast_rate_limit_clients_evicted_total");
  assert.equal(evicted?.value, 9_900);

  // The most recent client kept its bucket; a forgotten one starts again with a full burst.
  const last = "10.0.39.15"; // i = 9,999
  limiter.take(last);
  assert.equal(limiter.take(last).ok, false);
  assert.equal(limiter.take("10.0.0.0").ok, true);

  // Buckets that have refilled (2 tokens at 1/s: after 2 s) are dropped as new clients come, not kept to the cap.
  time.advance(2_000);
  limiter.take("192.0.2.1");
  assert.equal(limiter.clients, 1);
});

Deno.test("rate limit: a client used recently is kept over staler ones at the cap", () => {
  const time = clock();
  const limiter = new RateLimiter({ rate: 1, burst: 1, maxClients: 3, now: time.now });
  limiter.take("a");
  limiter.take("b");
  limiter.take("c");
  limiter.take("a"); // refused, but seen: now the most recent
  limiter.take("d"); // evicts b, the stalest
  assert.equal(limiter.take("a").ok, false, "a kept its (empty) bucket");
  assert.equal(limiter.take("b").ok, true, "b was forgotten: a fresh bucket");
});

Deno.test("rate limit: through the listener, each request carries its remote address", async () => {
  const seen: string[] = [];
  const limiter = new RateLimiter({ rate: 1, burst: 1 });
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { rateLimit: limiter, log: () => {} });
  const server = await listen((request) => {
    seen.push(clientOf(request));
    return app.fetch(request);
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    const first = await fetch(`${server.url}/model/info`);
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const second = await fetch(`${server.url}/model/info`);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get("retry-after")) >= 1);
    await second.body?.cancel();
    assert.deepEqual(seen, ["127.0.0.1", "127.0.0.1"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("rate limit: through the listener, a trusted proxy's X-Forwarded-For names the client", async () => {
  const seen: string[] = [];
  const trustedProxies = trust("127.0.0.1");
  const limiter = new RateLimiter({ rate: 1, burst: 1, trustedProxies });
  const store = new ModelStore();
  store.install(new FakePredictor());
  const app = createApp(store, { rateLimit: limiter, log: () => {} });
  const server = await listen((request) => {
    seen.push(clientOf(request, limiter));
    return app.fetch(request);
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    const statuses = [];
    for (const client of ["203.0.113.5", "198.51.100.9", "192.0.2.1, 203.0.113.5"]) {
      const res = await fetch(`${server.url}/model/info`, { headers: { "X-Forwarded-For": client } });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.deepEqual(seen, ["203.0.113.5", "198.51.100.9", "203.0.113.5"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("rate limit: a rate or burst that could never admit anything is refused", () => {
  assert.throws(() => new RateLimiter({ rate: 0, burst: 1 }), RangeError);
  assert.throws(() => new RateLimiter({ rate: 1, burst: 0.5 }), RangeError);
  assert.throws(() => new RateLimiter({ rate: Infinity, burst: 1 }), RangeError);
});
