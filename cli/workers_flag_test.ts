import assert from "node:assert/strict";
import { workersNote } from "./workers_flag.ts";

Deno.test("--workers above the machine's cores is noted (slower, more memory), not refused; at or below, nothing", () => {
  // Before: "one model on 16 cores" on a 2-core machine, at a third of the speed in four times the memory.
  assert.match(
    workersNote(16, 2) ?? "",
    /^note: --workers 16 is more than this machine's 2 cores: .* --workers 2;/,
  );
  assert.equal(workersNote(2, 2), null);
  assert.equal(workersNote(1, 2), null);
  assert.equal(workersNote(undefined, 2), null);
});
