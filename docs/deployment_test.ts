/**
 * deployment.md's nginx site was tried against a real nginx once (trial s47); these checks keep its numbers
 * tied to serve's own, without nginx: the upstream is the unit's address, nginx's idle keep-alive ends before
 * serve's, its body limit is serve's and its buffer holds a /predict, its 413 body is the one serve writes,
 * and the `server_name` is the name the serve line lists in --allowed-hosts (else every request is a 403).
 */
import assert from "node:assert/strict";
import { DEFAULT_BODY_LIMIT } from "../server/body.ts";
import { createApp } from "../server/app.ts";
import { LISTEN_DEFAULTS } from "../server/listen.ts";
import { ModelStore } from "../server/models/store.ts";
import { dryParse } from "../test/cli.ts";
import { FakePredictor, predictBody } from "../test/fake_predictor.ts";

const GUIDE = Deno.readTextFileSync(new URL("./deployment.md", import.meta.url));
const UNIT = Deno.readTextFileSync(new URL("../deploy/candlecast-serve.service", import.meta.url));
const SITE = /```nginx\n([\s\S]*?)```/.exec(GUIDE.slice(GUIDE.indexOf("### Behind nginx")))?.[1] ?? "";

/** The first value of an nginx directive in the site (`name value;`). */
function directive(name: string): string {
  const value = new RegExp(`^\\s*${name}\\s+([^;{\\n]+);`, "m").exec(SITE)?.[1];
  assert.ok(value !== undefined, `deployment.md's nginx site has no ${name}`);
  return value.trim();
}

/** An nginx size (`1m`, `16k`, `512`) in bytes. */
function bytes(size: string): number {
  const m = /^(\d+)([km]?)$/i.exec(size);
  assert.ok(m, `not an nginx size: ${size}`);
  return Number(m[1]) * ({ "": 1, k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()] ?? NaN);
}

Deno.test("deployment.md's nginx site proxies to the address the serve unit listens on", () => {
  assert.ok(SITE.length > 0, "deployment.md has no ```nginx block under '### Behind nginx'");
  const exec = /^ExecStart=.*$/m.exec(UNIT)?.[0] ?? "";
  const host = /--host (\S+)/.exec(exec)?.[1];
  const port = /--port (\d+)/.exec(exec)?.[1];
  assert.ok(/^\s*upstream candlecast \{/m.test(SITE));
  assert.equal(directive("server"), `${host}:${port}`);
  assert.equal(directive("proxy_pass"), "http://candlecast");
});

Deno.test("deployment.md's nginx site closes idle connections to serve before serve does", () => {
  // A request sent on a connection serve is closing gets a reset, and a proxy does not retry a POST: behind
  // Caddy with a 2 min idle timeout, 2 of 160 POSTs timed to serve's close were 502s (trial s47).
  const idle = /^(\d+)s$/.exec(directive("keepalive_timeout"));
  assert.ok(idle, "keepalive_timeout in whole seconds");
  assert.ok(Number(idle[1]) * 1000 < LISTEN_DEFAULTS.keepAliveTimeoutMs);
  assert.equal(directive("proxy_http_version"), "1.1"); // upstream keep-alive needs both lines
  assert.ok(SITE.includes('proxy_set_header Connection "";'));
});

Deno.test("deployment.md's nginx site takes what serve takes, in memory, and refuses beyond it as serve does", async () => {
  assert.equal(bytes(directive("client_max_body_size")), DEFAULT_BODY_LIMIT);
  // Under nginx's 16k default every /predict went to a temporary file, with a warning line for each.
  const predict = JSON.stringify(predictBody("BTCUSDT", 50)).length;
  assert.ok(bytes(directive("client_body_buffer_size")) >= predict, `a /predict is ${predict} bytes`);
  // nginx's own 413 answers with the body serve would have sent.
  const nginx413 = /return 413 '([^']*)';/.exec(SITE)?.[1];
  assert.ok(nginx413 !== undefined, "no JSON 413 in the site");
  const store = new ModelStore();
  store.install(new FakePredictor()); // with no model, a prediction is a 503 before its body is read
  try {
    const res = await createApp(store, { log: () => {} }).request("/predict/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: " ".repeat(DEFAULT_BODY_LIMIT + 1),
    });
    assert.equal(res.status, 413);
    assert.equal(nginx413, await res.text());
  } finally {
    await store.close();
  }
  const down = /return 502 '([^']*)';/.exec(SITE)?.[1];
  assert.ok(typeof JSON.parse(down ?? "").detail === "string", "the 502 body is SPEC §4's {detail}");
});

Deno.test("deployment.md's serve line parses and allows the Host the nginx site passes on", () => {
  const line = /^candlecast serve .*--allowed-hosts .*$/m.exec(GUIDE)?.[0];
  assert.ok(line, "no serve line with --allowed-hosts in deployment.md");
  const args = line.split(/\s+/).slice(1);
  assert.equal(dryParse(args), null);
  assert.ok(SITE.includes("proxy_set_header Host $host;"));
  const allowed = args[args.indexOf("--allowed-hosts") + 1].split(",");
  assert.ok(allowed.includes(directive("server_name")), `${directive("server_name")} not in ${allowed}`);
  assert.ok(args.includes("--trusted-proxies") && args.includes("127.0.0.1"));
  assert.equal(directive("proxy_set_header X-Forwarded-For"), "$remote_addr");
});
