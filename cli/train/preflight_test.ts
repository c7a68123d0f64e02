import assert from "node:assert/strict";
import { requireEveryClass } from "./preflight.ts";
import { CommandError } from "../errors.ts";

Deno.test("a fixed --threshold that leaves a class out is hinted the way that brings it back", () => {
  const fixed = (threshold: number) => ({ kind: "fixed", threshold }) as const;
  // Too large: every window SIDEWAYS, no UP or DOWN.
  assert.throws(
    () => requireEveryClass([0, 120, 0], fixed(0.5), "data.csv"),
    (e) => e instanceof CommandError && /give a smaller one/.test(e.hint ?? ""),
  );
  // Too small: no window SIDEWAYS (the hint said "smaller" here too).
  assert.throws(
    () => requireEveryClass([60, 0, 60], fixed(1e-12), "data.csv"),
    (e) => e instanceof CommandError && /give a larger one/.test(e.hint ?? ""),
  );
});
