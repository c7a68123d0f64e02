import assert from "node:assert/strict";
import { MAX_TIMEOUT_S, ServeFlags } from "./options.ts";

Deno.test("serve's time flags refuse more than a timer holds (24 days), naming the range", () => {
  const shape = ServeFlags.shape;
  const flags = {
    "--shutdown-timeout": shape.shutdownTimeout,
    "--header-timeout": shape.headerTimeout,
    "--request-timeout": shape.requestTimeout,
    "--keep-alive-timeout": shape.keepAliveTimeout,
  };
  for (const [name, schema] of Object.entries(flags)) {
    // Before: taken, and `serve --request-timeout 1e13` failed in node:http with "unexpected failure: The value
    // of "requestTimeout" is out of range"; `--keep-alive-timeout 9.1e12` likewise.
    for (const value of ["1e13", "9.1e12", String(MAX_TIMEOUT_S + 1)]) {
      const parsed = schema.safeParse(value);
      assert.ok(!parsed.success, `${name} ${value} was taken`);
      assert.match(parsed.error.issues[0].message, /at most 2073600 \(24 days/, name);
    }
    assert.equal(schema.safeParse(String(MAX_TIMEOUT_S)).data, MAX_TIMEOUT_S, name);
    assert.equal(schema.safeParse("30").data, 30, name);
    assert.equal(schema.safeParse("0.5").data, 0.5, name);
    assert.equal(schema.safeParse(undefined).data, undefined, name); // absent: the listener's default
    assert.ok(!schema.safeParse("0").success, `${name} 0 was taken`);
  }
  // Every timer gets it within 2^31 − 1 ms, the workers' kill timer (--shutdown-timeout plus 5 s) too.
  assert.ok(MAX_TIMEOUT_S * 1000 + 5000 <= 2 ** 31 - 1);
});
