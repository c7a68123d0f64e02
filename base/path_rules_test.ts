import assert from "node:assert/strict";
import { posix, win32 } from "node:path";
import { withoutTrailingSeparators } from "./path_rules.ts";

Deno.test("withoutTrailingSeparators strips '/' everywhere and '\\' only under Windows' rules", () => {
  // Windows' tab completion of a version folder: before, only "/" was stripped and promote refused it (exit 2).
  assert.equal(withoutTrailingSeparators("v3_2024-01-03\\", win32), "v3_2024-01-03");
  assert.equal(withoutTrailingSeparators("C:\\ck\\v3_2024-01-03\\\\", win32), "C:\\ck\\v3_2024-01-03");
  assert.equal(withoutTrailingSeparators("v3_2024-01-03/", win32), "v3_2024-01-03");
  assert.equal(withoutTrailingSeparators("v3_2024-01-03//", posix), "v3_2024-01-03");
  // On Linux a backslash is part of a file's name.
  assert.equal(withoutTrailingSeparators("v3_2024-01-03\\", posix), "v3_2024-01-03\\");
  assert.equal(withoutTrailingSeparators("v3_2024-01-03", posix), "v3_2024-01-03");
});
