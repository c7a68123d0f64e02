import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { browserGuardFor, hostName, isAddress, isLoopbackName, normalOrigin } from "./browser_guard.ts";
import { listen } from "./listen.ts";
import type { LogRecord } from "./log.ts";
import { ModelStore } from "./models/store.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";

function setup(guard = browserGuardFor("127.0.0.1", undefined, undefined)) {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const logs: LogRecord[] = [];
  const app = createApp(store, { log: (r) => logs.push(r), browsers: guard });
  return { app, store, logs };
}

/**
 * The POST a web page can make to 127.0.0.1 with no preflight: `fetch(url, {method: "POST", mode: "no-cors",
 * body: new Blob([json])})` sends no Content-Type (which the API reads as JSON, as the seed's server did; a
 * text/plain one gets 415), only the browser's Origin.
 */
const pagePost = (origin: string) => ({
  method: "POST",
  headers: { Origin: origin },
  // Bytes, as a Blob without a type: a string body would be given Content-Type text/plain.
  body: new TextEncoder().encode(JSON.stringify(predictBody())),
});

Deno.test("a web page's cross-site POST to /predict is refused with 403 before the model runs", async () => {
  const { app, store, logs } = setup();
  const res = await app.request("/predict", pagePost("https://evil.example"));
  assert.equal(res.status, 403);
  const { detail } = await res.json();
  assert.match(detail, /Origin: https:\/\/evil\.example/);
  assert.match(detail, /--allowed-origins/);
  assert.equal(logs.at(-1)?.status, 403, "logged as refused");
  assert.equal(logs.at(-1)?.model_version, undefined, "no model was leased");
  // Refused before auth, too: a page learns nothing from a 401 about whether a key is set.
  const keyed = createApp(store, {
    apiKey: "k3y",
    log: () => {},
    browsers: browserGuardFor("127.0.0.1", undefined, undefined),
  });
  assert.equal(
    (await keyed.request("/model/info", { headers: { Origin: "https://evil.example" } })).status,
    403,
  );
  await store.close();
});

Deno.test("an allowed origin passes, however it is cased or slashed; the bot (no Origin) always passes", async () => {
  const { app, store } = setup(browserGuardFor("127.0.0.1", undefined, ["https://Dash.example:8443/"]));
  assert.equal((await app.request("/predict", pagePost("https://dash.example:8443"))).status, 200);
  assert.equal((await app.request("/predict", pagePost("https://dash.example"))).status, 403, "another port");
  const bot = await app.request("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  });
  assert.equal(bot.status, 200);
  await store.close();
});

Deno.test("an allowed page gets CORS answers: its preflight 204 before auth, its answers and errors name it", async () => {
  const store = new ModelStore();
  store.install(new FakePredictor());
  const dash = "https://dash.example";
  const app = createApp(store, {
    apiKey: "k3y",
    log: () => {},
    browsers: browserGuardFor("127.0.0.1", undefined, [dash]),
  });
  // What a browser asks before a page's JSON POST with a key (and, from a public page, before 127.0.0.1).
  const preflight = await app.request("/predict", {
    method: "OPTIONS",
    headers: {
      Origin: dash,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "authorization,content-type",
      "Access-Control-Request-Private-Network": "true",
    },
  });
  assert.equal(preflight.status, 204, "a preflight carries no key: answered before auth");
  assert.equal(preflight.headers.get("access-control-allow-origin"), dash);
  assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /\bPOST\b/);
  assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Content-Type/i);
  assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/i);
  assert.equal(preflight.headers.get("access-control-allow-private-network"), "true");

  const call = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { Origin: dash, Authorization: "Bearer k3y", ...init.headers } });
  const info = await call("/model/info");
  assert.equal(info.status, 200);
  assert.equal(info.headers.get("access-control-allow-origin"), dash, "the page may read the answer");
  assert.match(info.headers.get("vary") ?? "", /Origin/);
  const predicted = await call("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(predictBody()),
  });
  assert.equal(predicted.status, 200);
  assert.equal(predicted.headers.get("access-control-allow-origin"), dash);
  // Errors too, so the page can read their detail rather than see a network failure.
  const invalid = await call("/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.headers.get("access-control-allow-origin"), dash);
  const noKey = await app.request("/model/info", { headers: { Origin: dash } });
  assert.equal(noKey.status, 401);
  assert.equal(noKey.headers.get("access-control-allow-origin"), dash);

  // The bot (no Origin) and a page not allowed get none.
  const bot = await app.request("/model/info", { headers: { Authorization: "Bearer k3y" } });
  assert.equal(bot.status, 200);
  assert.equal(bot.headers.get("access-control-allow-origin"), null);
  const evil = await app.request("/predict", {
    method: "OPTIONS",
    headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
  });
  assert.equal(evil.status, 403);
  assert.equal(evil.headers.get("access-control-allow-origin"), null);
  await store.close();
});

Deno.test("an allowed origin is compared as browsers serialize it: no default port, punycode, any case", async () => {
  assert.equal(normalOrigin("https://Dash.example:443/"), "https://dash.example");
  assert.equal(normalOrigin("http://localhost:80"), "http://localhost");
  assert.equal(normalOrigin("https://bücher.example"), "https://xn--bcher-kva.example");
  assert.equal(normalOrigin("null"), "null");
  const { app, store } = setup(
    browserGuardFor("127.0.0.1", undefined, ["https://dash.example:443", "https://bücher.example"]),
  );
  for (const origin of ["https://dash.example", "https://xn--bcher-kva.example"]) {
    const res = await app.request("/health", { headers: { Origin: origin } });
    assert.equal(res.status, 200, origin);
    await res.body?.cancel();
  }
  await store.close();
});

Deno.test("Host names: loopback ones and addresses pass, others only when listed; a non-loopback --host checks none", () => {
  assert.equal(hostName("[::1]:8000"), "[::1]");
  assert.equal(hostName("Example.COM:80"), "example.com");
  assert.equal(hostName("localhost"), "localhost");
  // A fully qualified name's trailing dot names the same host: curl http://localhost.:8000 was a 403.
  assert.equal(hostName("localhost.:8000"), "localhost");
  assert.equal(hostName("Bot.Internal."), "bot.internal");
  assert.ok(isLoopbackName(hostName("127.0.0.1.:8000")));
  for (const name of ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1", "app.localhost"]) {
    assert.ok(isLoopbackName(name), name);
  }
  for (const name of ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.5"]) {
    assert.ok(!isLoopbackName(name), name);
  }
  for (const name of ["10.0.0.5", "0.0.0.0", "[fe80::1]", "[fe80::1%25eth0]", "[::ffff:10.0.0.5]"]) {
    assert.ok(isAddress(name), name);
  }
  for (const name of ["evil.example", "10.0.0.5.evil.example", "1.2.3", "[evil.example]"]) {
    assert.ok(!isAddress(name), name);
  }
  assert.deepEqual(browserGuardFor("127.0.0.1", undefined, undefined).allowedHosts, []);
  assert.deepEqual(browserGuardFor("localhost", ["Bot.Internal:8000"], undefined).allowedHosts, [
    "bot.internal",
  ]);
  assert.equal(browserGuardFor("0.0.0.0", undefined, undefined).allowedHosts, "any");
  assert.deepEqual(browserGuardFor("0.0.0.0", ["bot.internal"], undefined).allowedHosts, ["bot.internal"]);
});

Deno.test("on 0.0.0.0, Host is checked only with --allowed-hosts, and a refusal names what is answered", async () => {
  const open = setup(browserGuardFor("0.0.0.0", undefined, undefined));
  const any = await open.app.request("/health", { headers: { Host: "evil.example:8000" } });
  assert.equal(any.status, 200, "no list: any Host");
  await any.body?.cancel();
  await open.store.close();

  const { app, store } = setup(browserGuardFor("0.0.0.0", ["candlecast.example"], undefined));
  const listed = await app.request("/health", { headers: { Host: "candlecast.example:8000" } });
  assert.equal(listed.status, 200);
  await listed.body?.cancel();
  // An address cannot be rebound: a bot calling the machine by its LAN address passes unlisted.
  const lan = await app.request("/health", { headers: { Host: "192.168.1.20:8000" } });
  assert.equal(lan.status, 200);
  await lan.body?.cancel();
  const other = await app.request("/health", { headers: { Host: "bot.lan:8000" } });
  assert.equal(other.status, 403);
  const { detail } = await other.json();
  assert.match(detail, /^Host "bot\.lan:8000" is not a name this server answers to/);
  assert.match(detail, /\(localhost and IP addresses and the names in --allowed-hosts\)/);
  assert.doesNotMatch(detail, /candlecast\.example/, "the operator's names are not told to the sender");
  assert.doesNotMatch(detail, /loopback address/, "it listens on 0.0.0.0");
  assert.match(detail, /add it to --allowed-hosts/);
  await store.close();
});

/** One raw HTTP request over TCP (fetch would set Host itself): the status code the server answered. */
async function rawStatus(port: number, head: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    let text = "";
    const buf = new Uint8Array(4096);
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? NaN);
  } finally {
    conn.close();
  }
}

Deno.test("a server on 127.0.0.1 refuses a rebound name in Host; loopback names, a listed host and no Host pass", async () => {
  const { app, store } = setup(browserGuardFor("127.0.0.1", ["candlecast.internal"], undefined));
  const server = await listen(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    const get = (host: string | null) =>
      rawStatus(
        server.port,
        `GET /model/info HTTP/${host === null ? "1.0" : "1.1"}\r\n${
          host === null ? "" : `Host: ${host}\r\n`
        }Connection: close\r\n\r\n`,
      );
    assert.equal(await get(`evil.example:${server.port}`), 403, "DNS rebinding");
    for (
      const host of [
        "localhost:8000",
        `127.0.0.1:${server.port}`,
        "[::1]:8000",
        "candlecast.internal",
        "localhost.",
      ]
    ) {
      assert.equal(await get(host), 200, host);
    }
    assert.equal(await get(null), 200, "HTTP/1.0 without Host");
    // What the C# bot sends: a Host of the address it was given, and no Origin.
    const bot = await fetch(`${server.url}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(predictBody()),
    });
    assert.equal(bot.status, 200);
    await bot.body?.cancel();
  } finally {
    await server.shutdown();
    await server.finished;
    await store.close();
  }
});

Deno.test("a page with no origin (file://, a sandboxed frame: Origin null) is refused without the hint no flag can follow", async () => {
  const { app, store } = setup();
  const res = await app.request("/predict", pagePost("null"));
  assert.equal(res.status, 403);
  const { detail } = await res.json();
  assert.match(detail, /Origin: null/);
  // --allowed-origins null is a usage error (not scheme://host): the hint must not send the trader there.
  assert.doesNotMatch(detail, /--allowed-origins/);
  assert.match(detail, /no origin to allow: serve it over http\(s\)/);
  await store.close();
});

Deno.test("the Host refusal quotes the name, so an empty Host reads as one", async () => {
  const { app, store } = setup();
  for (const [host, shown] of [["evil.example:8000", '"evil.example:8000"'], ["", '""']]) {
    const res = await app.request("/health", { headers: { Host: host } });
    assert.equal(res.status, 403, host);
    assert.ok((await res.json()).detail.startsWith(`Host ${shown} is not a name`), host);
  }
  await store.close();
});
