import { type PathRules, PLATFORM_PATHS } from "./path_rules.ts";

/**
 * A path as one shell word of the platform's shells, so a command a hint spells out works when pasted. Which
 * platform comes from `paths` (`PLATFORM_PATHS` by default; pass `win32` or `posix` from node:path to check
 * either on Linux), as the code that cuts paths takes it.
 *
 * POSIX: left as it is when it holds only characters a shell takes literally; else double-quoted when nothing
 * in it is special inside double quotes; else single-quoted (a `'` inside written `'\''`). Double quotes first
 * because hints wrap whole commands in single quotes: a single-quoted word inside one printed
 * `'candlecast models list --checkpoints 'my ck''`, which does not paste as printed, where
 * `'candlecast models list --checkpoints "my ck"'` does.
 *
 * Windows: `windowsWord`.
 *
 * @example
 * shellWord("checkpoints");                 // checkpoints
 * shellWord("my ck");                       // "my ck"
 * shellWord("it's $HOME");                  // 'it'\''s $HOME'
 * shellWord("C:\\my data\\ck", win32);      // "C:\my data\ck"
 */
export function shellWord(text: string, paths: PathRules = PLATFORM_PATHS): string {
  // A relative path into a folder really named `~` or `~name` (join() drops a leading `./`): written `./~/…`, so
  // neither a shell nor candlecast's own check of unexpanded `~` (cli/flags.ts) reads it as a home (a review).
  if (text.startsWith("~")) text = `./${text}`;
  if (paths.sep === "\\") return windowsWord(text);
  if (/^[\w./-]+$/.test(text)) return text;
  if (/^[^"$`\\!]*$/.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A word as cmd.exe and PowerShell both pass it to a program: left as it is when plain (a drive letter and `\`
 * included), else in double quotes, which both take. Single quotes, the POSIX answer, are PowerShell's alone:
 * cmd passes them on as part of the word, so `--checkpoints 'C:\my ck'` named a folder `'C:\my`. Inside the
 * quotes a program's argument parser (the MSVC rules Deno's and .NET's follow) reads `\"` as a quote in the
 * word, so backslashes before a `"` or the closing quote are doubled and a `"` written `\"`: `C:\my dir\`
 * becomes `"C:\my dir\\"`, not `"C:\my dir\"` (the word `C:\my dir"`). `%NAME%` in cmd and `$name` in PowerShell
 * still expand inside double quotes: no quoting keeps both literal in both shells.
 */
function windowsWord(text: string): string {
  if (/^[\w.:\\/-]+$/.test(text)) return text;
  const escaped = text.replace(
    /(\\*)("|$)/g,
    (_, slashes: string, quote: string) => slashes + slashes + (quote === "" ? "" : '\\"'),
  );
  return `"${escaped}"`;
}
