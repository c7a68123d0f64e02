import assert from "node:assert/strict";
import { serveWorkersNote, workersNote } from "./workers_flag.ts";

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

Deno.test("serve: --workers above the machine's cores gets a warning line (processes, each with a model), not a refusal", () => {
  // Before: `serve --workers 8` on 2 cores started 8 processes, each with its own model, without a word.
  const note = serveWorkersNote(8, 2);
  assert.match(
    note?.message ?? "",
    /^--workers 8 is more than this machine's 2 cores: its 8 processes share them/,
  );
  assert.match(note?.hint ?? "", /^--workers 2 \(the default here, one per core\)/);
  assert.equal(serveWorkersNote(2, 2), null);
  assert.equal(serveWorkersNote(undefined, 2), null);
});
