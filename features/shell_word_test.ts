import assert from "node:assert/strict";
import { shellWord } from "./shell_word.ts";

Deno.test("shellWord: plain words stay, spaces get double quotes, shell specials single quotes", () => {
  assert.equal(shellWord("checkpoints/v1_2026-01-01"), "checkpoints/v1_2026-01-01");
  // Before: 'my ck', which inside a hint's quoted command read 'candlecast … --checkpoints 'my ck''.
  assert.equal(shellWord("/srv/my store"), `"/srv/my store"`);
  assert.equal(shellWord("it's"), `"it's"`);
  assert.equal(shellWord("$HOME/x"), `'$HOME/x'`);
  assert.equal(shellWord(`a"b`), `'a"b'`);
  assert.equal(shellWord("it's $x"), `'it'\\''s $x'`);
  assert.equal(shellWord(""), `""`);
});

Deno.test("shellWord: what it prints is the same word when a shell reads it back", async () => {
  for (
    const text of ["/srv/my store", "it's", "$HOME/x", `a"b`, "it's $x", "back\\slash", "bang!", "tab\there"]
  ) {
    const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shellWord(text)}`] }).output();
    assert.equal(new TextDecoder().decode(out.stdout), text, text);
  }
});
