import assert from "node:assert/strict";
import { posix, win32 } from "node:path";
import { PLATFORM_PATHS } from "./path_rules.ts";
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

Deno.test("shellWord: the platform is a parameter; POSIX rules by name equal the default here", () => {
  const words = ["checkpoints", "/srv/my store", "it's", "$HOME/x", `a"b`, "it's $x", "C:\\x", ""];
  for (const text of words) assert.equal(shellWord(text, posix), shellWord(text), text);
  assert.equal(PLATFORM_PATHS === win32, Deno.build.os === "windows");
});

/**
 * The argument a Windows program receives for `word` (the MSVC rules, as CommandLineToArgvW, Deno and .NET
 * read a command line): `2n` backslashes before a `"` are `n` and the quote toggles quoting, `2n+1` are `n`
 * and a literal `"`; other backslashes are themselves.
 */
function windowsArgument(word: string): string {
  let out = "";
  let quoted = false;
  for (let i = 0; i < word.length; i++) {
    let slashes = 0;
    while (word[i] === "\\") slashes++, i++;
    if (word[i] === '"') {
      out += "\\".repeat(Math.floor(slashes / 2));
      if (slashes % 2 === 1) out += '"';
      else quoted = !quoted;
    } else {
      out += "\\".repeat(slashes);
      if (i < word.length) {
        assert.ok(quoted || word[i] !== " ", `${word}: a space outside quotes splits the word`);
        out += word[i];
      }
    }
  }
  assert.ok(!quoted, `${word}: a quote left open`);
  return out;
}

Deno.test("shellWord on Windows: double quotes as cmd and PowerShell take them, never POSIX single quotes", () => {
  // Before: POSIX quoting on every platform, so a hint's 'C:\my data' reached a program as the word 'C:\my
  // (cmd passes single quotes on as text) and a path ending in \ had its closing quote read as part of it.
  const cases: [string, string][] = [
    ["C:\\Users\\me\\checkpoints", "C:\\Users\\me\\checkpoints"],
    ["checkpoints/v1_2026-01-01", "checkpoints/v1_2026-01-01"],
    ["C:\\Users\\My Name\\checkpoints", `"C:\\Users\\My Name\\checkpoints"`],
    ["C:\\my data\\", `"C:\\my data\\\\"`],
    ["it's", `"it's"`],
    ["$HOME\\x", `"$HOME\\x"`],
    ["it's $x", `"it's $x"`],
    [`a"b`, `"a\\"b"`],
    [`a\\"b c`, `"a\\\\\\"b c"`],
    ["", `""`],
  ];
  for (const [text, word] of cases) {
    assert.equal(shellWord(text, win32), word, text);
    assert.equal(windowsArgument(word), text, word);
  }
  // POSIX output is what it was.
  assert.equal(shellWord("C:\\Users\\My Name", posix), `'C:\\Users\\My Name'`);
  assert.equal(shellWord("/srv/my store", posix), `"/srv/my store"`);
});

Deno.test("shellWord: a relative path into a folder named ~ keeps it relative (./~/…), as a shell reads it", async () => {
  // join("./~/ck", "v1") is "~/ck/v1": printed "~/ck/v1" it pasted as the home folder's (a review).
  assert.equal(shellWord("~/ck/v1"), `"./~/ck/v1"`);
  assert.equal(shellWord("~"), `"./~"`);
  assert.equal(shellWord("~ x/ck"), `"./~ x/ck"`);
  assert.equal(shellWord("a~b"), `"a~b"`, "quoted as before: ~ is no plain character");
  const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shellWord("~/ck")}`] }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "./~/ck");
});
