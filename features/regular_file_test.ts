import assert from "node:assert/strict";
import { join } from "node:path";
import { NotRegularFileError, readRegularFile, readRegularTextFile } from "./regular_file.ts";

Deno.test({
  name: "readRegularFile reads a file or a symlink to one, and refuses a FIFO or a folder unopened",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-regular-" });
    try {
      await Deno.writeTextFile(join(dir, "a.json"), "{}");
      await Deno.symlink("a.json", join(dir, "link.json"));
      assert.equal(await readRegularTextFile(join(dir, "link.json")), "{}");
      assert.deepEqual(await readRegularFile(join(dir, "a.json")), new TextEncoder().encode("{}"));
      await new Deno.Command("mkfifo", { args: [join(dir, "fifo.json")] }).output();
      await Deno.mkdir(join(dir, "folder.json"));
      // Opened, the FIFO would block this test for good: refused from its stat alone.
      await assert.rejects(readRegularFile(join(dir, "fifo.json")), (error: Error) => {
        assert.ok(error instanceof NotRegularFileError);
        assert.equal(error.message, `${join(dir, "fifo.json")} is a FIFO (named pipe), not a regular file`);
        return true;
      });
      await assert.rejects(readRegularTextFile(join(dir, "folder.json")), /is a folder, not a regular file/);
      await assert.rejects(readRegularFile(join(dir, "none.json")), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
