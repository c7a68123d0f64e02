import assert from "node:assert/strict";
import { exposedWithoutKey } from "./auth.ts";

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
