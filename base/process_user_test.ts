import assert from "node:assert/strict";
import { join } from "node:path";
import { processUser } from "./process_user.ts";

Deno.test("processUser is the process's uid and gid where Deno may read them", () => {
  if (Deno.build.os === "windows") return assert.equal(processUser(), null);
  assert.deepEqual(processUser(), { uid: Deno.uid(), gid: Deno.gid() });
});

Deno.test("processUser is null without --allow-sys, where Deno.uid() throws", async () => {
  // collect under a permission set without sys (test/collect_memory_child.ts; the container's serve set grants
  // none) failed writing its output: "NotCapable: Requires sys access to uid".
  const dir = await Deno.makeTempDir({ prefix: "candlecast-user-" });
  try {
    const script = join(dir, "child.ts");
    const module = new URL("./process_user.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { processUser } from ${JSON.stringify(module)};\nconsole.log(JSON.stringify(processUser()));\n`,
    );
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", script],
      env: { NO_COLOR: "1" },
    }).output();
    assert.ok(child.success, new TextDecoder().decode(child.stderr));
    assert.equal(new TextDecoder().decode(child.stdout).trim(), "null");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
