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

Deno.test({
  name:
    "readRegularFile never waits on a FIFO put where a look at the path saw a file (the look-then-open race)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-regular-" });
    const fifo = join(dir, "manifest.json");
    const file = join(dir, "file.json");
    const stat = Deno.stat;
    try {
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      await Deno.writeTextFile(file, "{}");
      // The swap between a look and the open, made certain: every look at the FIFO sees the file.
      (Deno as { stat: typeof Deno.stat }).stat = (path) => stat(path === fifo ? file : path);
      const reading = readRegularFile(fifo).then(() => "read", (error: Error) => error);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), 3000)));
      const outcome = await Promise.race([reading, hung]);
      clearTimeout(timer);
      if (outcome === "hung") {
        // Before: the open waited for a writer. One comes and goes (read and write: it does not wait itself),
        // so the read ends and the test fails instead of hanging.
        (await Deno.open(fifo, { read: true, write: true })).close();
        await reading;
        assert.fail("readRegularFile waited on the FIFO");
      }
      assert.ok(outcome instanceof NotRegularFileError, String(outcome));
      assert.equal(outcome.kind, "a FIFO (named pipe)");
    } finally {
      (Deno as { stat: typeof Deno.stat }).stat = stat;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "readRegularFile names a socket as what it is: its open fails (ENXIO), unlike a FIFO's",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "candlecast-regular-" });
    const path = join(dir, "metrics.json");
    // open(2) refuses a Unix socket with ENXIO: before, that error came back bare ("ENXIO: no such device or
    // address"), so models list counted the file as changed and read "does not match the sha256".
    const listener = Deno.listen({ transport: "unix", path });
    try {
      await assert.rejects(readRegularFile(path), (error: Error) => {
        assert.ok(error instanceof NotRegularFileError, String(error));
        assert.equal(error.kind, "a socket");
        return true;
      });
    } finally {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
