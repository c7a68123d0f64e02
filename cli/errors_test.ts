import assert from "node:assert/strict";
import { filesystemProblem, withoutRunAgain } from "./errors.ts";

Deno.test("filesystemProblem names a full disk, a read-only file system and I/O errors; others are not its", () => {
  // ENOSPC as Deno words it (the message of a write to /dev/full).
  const full = new Error("No space left on device (os error 28): writefile '/dev/full'");
  assert.deepEqual(filesystemProblem(full), {
    message: "no space left on the device (No space left on device (os error 28): writefile '/dev/full')",
    hint: "free space there (df -h shows where) and run it again",
  });
  // node:fs words them with a code.
  const nodeFull = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  assert.deepEqual(filesystemProblem(nodeFull), {
    message: "no space left on the device (ENOSPC: no space left on device, write)",
    hint: "free space there (df -h shows where) and run it again",
  });
  const readOnly = new Error("Read-only file system (os error 30): open '/tmp/ro/.current.lock'");
  assert.match(
    filesystemProblem(readOnly)!.message,
    /^the file system is read-only \(.*\/tmp\/ro\/\.current\.lock/,
  );
  // A folder the user may not write (chmod 555 checkpoints): Deno's PermissionDenied, node:fs's EACCES.
  const denied = new Error(
    "Permission denied (os error 13): mkdir '/srv/ck/.train_20261202T020234_3e9a2cca'",
  );
  assert.deepEqual(filesystemProblem(denied), {
    message:
      "permission denied (Permission denied (os error 13): mkdir '/srv/ck/.train_20261202T020234_3e9a2cca')",
    hint: "give this user access to the path named (ls -ld shows its owner and mode), or choose another path",
  });
  const nodeDenied = Object.assign(new Error("EACCES: permission denied, open '/srv/a.csv'"), {
    code: "EACCES",
  });
  assert.match(filesystemProblem(nodeDenied)!.message, /^permission denied \(EACCES/);
  assert.equal(filesystemProblem(new Error("something else")), null);
  assert.equal(filesystemProblem("not an error"), null);
});

Deno.test("filesystemProblem names a file size limit (ulimit -f, with SIGXFSZ ignored), not a bug", () => {
  // As Deno words it from a write past the limit: the message alone, no code.
  const tooLarge = new Error("/srv/data/training.csv: File too large (os error 27)");
  assert.deepEqual(filesystemProblem(tooLarge), {
    message:
      "the file would pass a file size limit, this process's or the file system's own (FAT32's 4 GB) (/srv/data/training.csv: File too large (os error 27))",
    hint:
      "raise the process's ('ulimit -f unlimited', LimitFSIZE= in a systemd unit) or write to another file " +
      "system, and run it again",
  });
});

Deno.test("withoutRunAgain: a hint that goes on with the step left drops 'and run it again'", () => {
  // A version saved whole but not promoted (a full disk at `current`): before, "free space there … and run it
  // again, then 'candlecast models promote v2'", and running train again retrains it for nothing.
  const full = filesystemProblem(
    new Error("No space left on device (os error 28): open 'ck/.current_history.json'"),
  )!;
  assert.equal(withoutRunAgain(full.hint), "free space there (df -h shows where)");
  const quota = filesystemProblem(Object.assign(new Error("quota"), { code: "EDQUOT" }))!;
  assert.equal(withoutRunAgain(quota.hint), "free space or raise the quota");
  const io = filesystemProblem(new Error("Input/output error (os error 5)"))!;
  assert.equal(withoutRunAgain(io.hint), "check the disk (dmesg)");
  // A hint without the tail is left as it is.
  const denied = filesystemProblem(new Error("Permission denied (os error 13): mkdir '/srv/ck/x'"))!;
  assert.equal(withoutRunAgain(denied.hint), denied.hint);
});
