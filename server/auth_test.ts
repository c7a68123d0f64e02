import assert from "node:assert/strict";
import { apiKeyProblem, exposedWithoutKey, weakKeyProblem } from "./auth.ts";

Deno.test("serving without a key is exposed on any address but loopback; with a key it never is", () => {
  for (const host of ["0.0.0.0", "::", "[::]", "192.168.1.20", "bot-host.lan"]) {
    assert.equal(exposedWithoutKey(host, undefined), true, host);
    assert.equal(exposedWithoutKey(host, "k3y"), false, host);
  }
  for (
    const host of ["127.0.0.1", "127.0.1.1", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]
  ) {
    assert.equal(exposedWithoutKey(host, undefined), false, host);
  }
});

Deno.test("a key from the documentation's examples or under 16 characters is called guessable, never quoted", () => {
  for (const key of ["s3cret", "change-me", "CHANGE-ME"]) {
    assert.equal(weakKeyProblem(key), "CANDLECAST_API_KEY is a common placeholder key, not a secret");
  }
  assert.equal(weakKeyProblem("a"), "CANDLECAST_API_KEY is 1 character long, short enough to guess");
  assert.equal(
    weakKeyProblem("x".repeat(15)),
    "CANDLECAST_API_KEY is 15 characters long, short enough to guess",
  );
  assert.equal(weakKeyProblem("0123456789abcdef"), null);
  assert.equal(weakKeyProblem("4f9c2e7a1b8d3f60e5c4a7b2d9e1f308"), null);
});

Deno.test("a key outside visible ASCII is refused at start: no bearer header can carry it as it is", () => {
  // Before: accepted, then every client was answered "wrong bearer key" (node:http reads headers as Latin-1).
  assert.match(apiKeyProblem("ключ-ключ-ключ-ключ-1234")!, /outside visible ASCII \(at character 1 of 24\)/);
  assert.match(apiKeyProblem("abcdefghijklmnop\u0001q")!, /outside visible ASCII \(at character 17 of 18\)/);
  assert.match(apiKeyProblem("abcdefghijklmnopé")!, /outside visible ASCII/);
  assert.equal(apiKeyProblem("0123456789abcdef-_.~+/=!#$%&'*^`|"), null);
});
