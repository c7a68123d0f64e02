import assert from "node:assert/strict";
import { HangUpsWhileStarting } from "./hang_ups.ts";

Deno.test({
  name:
    "a HUP while serve starts is held and answered once the handler is handed over, not the process's end",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const hangUps = new HangUpsWhileStarting();
    try {
      // Without the listener this HUP would end the test process (exit 129).
      Deno.kill(Deno.pid, "SIGHUP");
      Deno.kill(Deno.pid, "SIGHUP");
      await new Promise((resolve) => setTimeout(resolve, 200));
      let calls = 0;
      hangUps.handOff(() => calls++);
      assert.equal(calls, 1, "the HUPs that came while starting ask for one look");
      Deno.kill(Deno.pid, "SIGHUP");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(calls, 2, "after the hand-over each HUP calls the handler");
    } finally {
      hangUps.stop();
    }
  },
});

Deno.test("main.ts holds serve's HUPs before the program loads: what it imports ahead imports nothing", async () => {
  // With the program imported ahead (statically, by a literal or by a template Deno expands) the HUP listener
  // came 0.9 s after the process started on a busy host, and a HUP then ended serve (exit 129).
  const read = (path: string) => Deno.readTextFile(new URL(path, import.meta.url));
  const main = await read("../../main.ts");
  const ahead = [...main.matchAll(/^import .* from "(.+)";$/gm)].map((m) => m[1]);
  assert.deepEqual(ahead, ["./cli/serve/hang_ups.ts", "./cli/file_size_limit.ts"]);
  for (const file of ["./hang_ups.ts", "../file_size_limit.ts"]) {
    assert.doesNotMatch(await read(file), /^(import|export) .* from /m, `${file} imports nothing`);
  }
  assert.ok(main.indexOf("holdHangUpsFromStart();") < main.indexOf('await late("program.ts")'));
  assert.doesNotMatch(main, /(?<!typeof )import\(\s*["'`]/, "the program is imported by a computed name");
});
