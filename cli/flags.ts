/**
 * Flag values are parsed once, here, into typed options: commander hands over strings, zod turns them into
 * numbers, enums and lists, and a bad value becomes a UsageError naming the flag as the user typed it.
 */
import { isIP } from "node:net";
import { dirname, join, normalize, resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { DEFAULTS } from "./defaults.ts";
import { filesystemProblem, UsageError } from "./errors.ts";
import { type CandleSeries, isInterval } from "../features/index.ts";
import { fileAbove, outputFileProblem, pathKind, shellWord, statOrNull } from "../base/index.ts";

/** An option's attribute name as typed: `validationMonths` → `validation-months`. */
export const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

/** The first of `keys` (option names in camelCase) the user typed, not left at its default, as `--kebab-case`. */
function typedFlag(command: Command, keys: readonly string[]): string | null {
  const key = keys.find((k) => command.getOptionValueSource(k) === "cli");
  return key === undefined ? null : `--${kebab(key)}`;
}

/**
 * Refuses the flags in `keys` the user typed alongside `mode` (`--checkpoint`, `--incremental`), which brings its
 * own values for them; `hint` says what it keeps.
 */
export function refuseTypedFlags(
  command: Command,
  keys: readonly string[],
  mode: string,
  hint: string,
): void {
  const given = typedFlag(command, keys);
  if (given) throw new UsageError(`${given} cannot be combined with ${mode}`, hint);
}

/** Lists accept spaces or commas: `--symbols A B`, `--symbols A,B`, or both. */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === "string" ? [value] : value;
  return parts.flatMap((p) => p.split(",")).map((p) => p.trim()).filter((p) => p !== "");
}

export function parseFlags<T extends z.ZodType>(command: string, schema: T, raw: unknown): z.infer<T> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const flag = issue.path.length > 0 ? `--${kebab(String(issue.path[0]))}` : "flags";
  // An empty value is most often a variable that was not set (`--seed "$SEED"`): say so, not "see --help".
  const empty = issue.code === "custom" && issue.params?.[EMPTY] === true;
  const variable = flag.slice(2).replaceAll("-", "_").toUpperCase();
  // Where 0 is a value the flag takes, candlecast before 2026-12-05 read an empty one as it: said, since
  // leaving the flag out gives its default instead (an upgrading operator's trial).
  const zero = empty && issue.params?.[ZERO] === true
    ? ` (${flag} 0 for what candlecast before 2026-12-05 read an empty one as)`
    : "";
  throw new UsageError(
    `${flag}: ${issue.message}`,
    empty
      ? `give ${flag} a value${zero}, or leave it out for its default ("$${variable}" with ${variable} unset ` +
        "is an empty value)"
      : `run 'candlecast ${command} --help' for the flags and their defaults`,
  );
}

/** Marks the issue of a value given empty, for `parseFlags`'s hint; ZERO, that the flag takes 0. */
const EMPTY = "emptyValue";
const ZERO = "takesZero";

/**
 * `schema` behind a refusal of an empty or blank string. Number("") is 0, so a number flag given empty
 * (`--seed "$SEED"` with SEED unset, `--predictions-log-keep ""`) silently became 0: no rotated logs kept, a
 * backtest at 0 % fee. Refused as usage instead, in words that say the flag was empty and what it takes.
 */
function refuseEmpty<T extends z.ZodType>(what: string, schema: T) {
  return z.preprocess((value, ctx) => {
    if (typeof value !== "string" || value.trim() !== "") return value;
    ctx.addIssue({
      code: "custom",
      message: `expected ${what}; got an empty value`,
      params: { [EMPTY]: true, [ZERO]: schema.safeParse("0").success },
    });
    return z.NEVER;
  }, schema);
}

/**
 * Number syntax as people type it in decimal: digits, a point, an exponent (`3e-4` for a learning rate). Not
 * what else Number() reads: hex (`0x10`), binary, octal, Infinity.
 */
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/**
 * An integer flag takes plain decimal digits, as --port always did: `--limit 0x10` took 16 candles and
 * `--limit 1e3` a thousand. An exponent is refused too: a count is typed in digits, an exponent there is more
 * often a slip than a shorthand (`--epochs 1e9`), and one rule for every integer flag is easier to state.
 */
const INTEGER = /^-?\d+$/;

/** The integer `text` spells in plain decimal digits (`INTEGER`), else NaN. */
export function decimalInteger(text: string): number {
  return INTEGER.test(text.trim()) ? Number(text) : NaN;
}

/**
 * A number flag: its text in `syntax` (surrounding blanks aside) becomes the number `schema` checks; anything
 * else is refused with `expected ${what}`, and an empty value as empty (`refuseEmpty`). A number (a caller
 * building options in code) is checked as it is.
 */
function numberFlag<T extends z.ZodType<number, number>>(what: string, syntax: RegExp, schema: T) {
  return refuseEmpty(
    what,
    z.preprocess((v, ctx) => {
      if (typeof v !== "string" || syntax.test(v.trim())) return typeof v === "string" ? Number(v) : v;
      // An integer with thousands separators (`30.000`, `1,000`, `2 500`): a German user's 30.000 is thirty
      // thousand, which "30.000 is 30: give that" steered to 30.
      const grouped = /^[1-9]\d{0,2}(?:([.,' ])\d{3})(?:\1\d{3})*$/.exec(v.trim());
      if (syntax === INTEGER && grouped) {
        const [sep, digits] = [grouped[1], v.trim().replaceAll(grouped[1], "")];
        const whole = v.trim().split(sep)[0];
        if (schema.safeParse(Number(digits)).success) {
          // "or 1" only where the "." could be a decimal point of that whole number (1.000, not 1.500).
          const decimal = (sep === "." || sep === ",") && /^0+$/.test(v.trim().slice(whole.length + 1));
          ctx.addIssue({
            code: "custom",
            message: `expected ${what}, written in decimal digits without a thousands separator (${
              JSON.stringify(v.trim())
            }: give ${digits}${decimal ? `, or ${whole} if the "${sep}" is a decimal point` : ""})`,
          });
          return z.NEVER;
        }
      }
      // A number in a form this flag does not take (`--epochs 1e1`, `--limit 0x10`, `10.0` for an integer),
      // which candlecast before 2026-12-05 read: "expected a positive integer" for 1e1 read as wrong.
      // Only a number the flag takes is offered (--epochs 0x0 is 0, which it refuses), in digits it reads.
      const n = Number(v);
      if (schema.safeParse(n).success && syntax.test(String(n))) {
        ctx.addIssue({
          code: "custom",
          message:
            `expected ${what}, written ${syntax === INTEGER ? "in decimal digits" : "as a decimal number"}` +
            ` (${JSON.stringify(v.trim())} is ${n}: give that)`,
        });
        return z.NEVER;
      }
      return NaN;
    }, schema),
  );
}

/** A number flag in decimal notation (`DECIMAL`); `bounds` adds its range, refused in `what`'s words. */
function decimalFlag(what: string, bounds: (n: z.ZodNumber) => z.ZodNumber = (n) => n) {
  return numberFlag(what, DECIMAL, bounds(z.number({ error: `expected ${what}` })));
}

/** An integer flag in plain decimal digits (`INTEGER`); `bounds` adds its range. */
function integerFlag(what: string, bounds: (n: z.ZodNumber) => z.ZodNumber = (n) => n) {
  return numberFlag(what, INTEGER, bounds(z.number({ error: `expected ${what}` }).int()));
}

/** RFC 1123 labels of letters, digits and inner hyphens; the last not all digits (that is a mistyped address). */
function isHostName(s: string): boolean {
  return s.length <= 253 && /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/.test(s) &&
    !/(^|\.)\d+$/.test(s);
}

/**
 * Common value schemas, with messages that say what is expected. Every number flag of every command goes
 * through `number` or `integer` (or a helper built on them), so an empty value, hex and the rest are refused
 * alike, in the flag's own words (`what`: "a fee fraction, e.g. 0.001").
 */
export const flag = {
  number: decimalFlag,
  integer: integerFlag,
  positiveInt: (what = "a positive integer") => integerFlag(what, (n) => n.positive()),
  nonNegativeInt: (what = "an integer ≥ 0") => integerFlag(what, (n) => n.nonnegative()),
  positiveNumber: (what = "a positive number") => decimalFlag(what, (n) => n.positive()),
  /** `schema` for a flag that takes a word or a number (`off`, `balanced`): empty, it is refused as empty. */
  notEmpty: refuseEmpty,
  // Digits only, as every integer flag: "" was read as 0 (a free port, silently: `--port "$PORT"` with PORT
  // unset) and "0x1F40" as 8000.
  port: () => integerFlag("a port number", (n) => n.min(0).max(65535, "expected a port 0–65535")),
  /**
   * An IP address or a host name as RFC 1123 allows one. A name whose last label is all digits is a mistyped
   * address (`999.1.1.1`, `10.0.0`), refused here as usage rather than when the listener cannot bind it.
   */
  host: () =>
    z.string().refine(
      (s) => isIP(s) !== 0 || isHostName(s.endsWith(".") ? s.slice(0, -1) : s), // `name.` is fully qualified
      "expected an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name",
    ),
  /** A path given empty (`--checkpoints=`, `--data ""`): zod's own "Too small: expected string to have >=1 characters" otherwise. */
  filePath: () => z.string().min(1, "expected a file path"),
  folderPath: () => z.string().min(1, "expected a folder path"),
  date: () =>
    z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD").refine(
      // Date.parse rolls 2023-02-30 over to March 2; a real date survives the round trip unchanged.
      (s) => {
        const t = Date.parse(s + "T00:00:00Z");
        return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
      },
      "not a real calendar date",
    ),
};

/**
 * The placeholders of the flags that take a path, in every command: `--output <path>`, `--csv-path
 * <paths...>`, `--checkpoints <dir>`, `--config-from <version-dir>` (and `<file>` or `<folder>`, should a flag
 * be named so). `refuseUnusablePath` goes by them, so a path flag added later is covered as it is declared.
 */
export const PATH_PLACEHOLDER = /<(?:[\w-]+-)?(?:path|paths|dir|file|folder)(?:\.\.\.)?>$/;

/**
 * A path value whose first component is `~` or `~name` before a `/` (`~`, `~/x`, `~bob/x`): a home folder the
 * shell did not expand, as it does not after `=` (`--output=~/x`), inside quotes, or in a systemd unit. Taken as
 * it is, candlecast made a folder named `~` in the working folder, and the `rm -rf ~` that cleans it up deletes
 * the user's home (a user trial). Refused as usage, with the words that do expand; `a~b`, `~bob` alone (no
 * `/`: the shell leaves an unknown user's so too) and `./~/x` (a folder really named `~`) are taken.
 */
export function unexpandedHome(flag: string, value: string): UsageError | null {
  // On Windows `~\x` too: cmd.exe and PowerShell expand no `~` for a program (a review).
  const match = (Deno.build.os === "windows" ? /^~([^/\\]*)([/\\][\s\S]*)?$/ : /^~([^/]*)(\/[\s\S]*)?$/).exec(
    value,
  );
  if (match === null) return null;
  const [, user, rest = ""] = match;
  if (user !== "" && rest === "") return null;
  const tilde = `~${user}`;
  if (Deno.build.os === "windows") {
    // cmd.exe and PowerShell expand no ~ for a program, quoted or not: the POSIX advice below would be refused
    // again, or make a folder named $HOME (a review).
    return new UsageError(
      `${flag}: ${value} starts with ${tilde}, which Windows shells do not expand to a home folder; taken as it ` +
        `is, it is a folder named '${tilde}' in the working folder`,
      (user === ""
        ? `write the full path: ${flag} "%USERPROFILE%${rest}" in cmd, or ${flag} "$HOME${rest}" in PowerShell`
        : "write the full path") + `; for a folder really named ${tilde} here, write .\\${value}`,
    );
  }
  // What to type: the ~ as the first thing of an unquoted word (the rest quoted where it must be), or $HOME.
  const after = rest.slice(1);
  const expanding = `${tilde}${rest === "" ? "" : "/"}${after === "" ? "" : shellWord(after)}`;
  const home = user === "" ? ` or ${flag} "$HOME${rest.replace(/["$`\\]/g, "\\$&")}"` : ` or the full path`;
  return new UsageError(
    `${flag}: ${value} starts with ${tilde}, which the shell did not expand to ${
      user === "" ? "your" : `${user}'s`
    } home folder (it does only for a ~ that begins a word, unquoted: not after '=' or inside quotes); ` +
      `taken as it is, it is a folder named '${tilde}' in the working folder`,
    `write ${flag} ${expanding} (after a space, not '=', and unquoted)${home}; for a folder really named ` +
      `${tilde} here, write ${shellWord(`./${value}`)}`,
  );
}

/**
 * A path value holding U+FFFD: what Deno makes of a byte of the command line that is not UTF-8 (a Latin-1 name
 * typed under LANG=C). Taken as it is, the command read or wrote a file of another name (`bad\uFFFD.csv` for
 * `bad\xff.csv`) and exited 0 (a seat's trial). Refused as usage, with the way out.
 */
export function notUtf8(flag: string, value: string): UsageError | null {
  if (!value.includes("\uFFFD")) return null;
  return new UsageError(
    `${flag}: ${value} has bytes that are not UTF-8 in its name (shown as \uFFFD, U+FFFD): Deno reads each as ` +
      "that character, so candlecast would use a file of another name",
    "rename it (or the folder it is in) to a name in UTF-8 (convmv -f latin1 -t utf-8 converts one), or choose " +
      "another path",
  );
}

/**
 * Refuses, as each is read, a path flag of `command` (by its placeholder: `PATH_PLACEHOLDER`) whose value
 * starts with a home folder the shell did not expand (`unexpandedHome`), or has bytes that are not UTF-8
 * (`notUtf8`). Applied to every command by `program.ts`, so no command's own checks, and none of its writes,
 * see such a path.
 */
export function refuseUnusablePath(command: Command): void {
  for (const option of command.options) {
    if (!PATH_PLACEHOLDER.test(option.flags)) continue;
    // Each value as typed (one per word for `<paths...>`); defaults are not emitted, and none starts with ~.
    command.on(`option:${option.name()}`, (value: unknown) => {
      if (typeof value !== "string") return;
      const flag = option.long ?? option.flags;
      const problem = unexpandedHome(flag, value) ?? notUtf8(flag, value);
      if (problem) throw problem;
    });
  }
}

/**
 * An input path the user named (or left at its default) must exist, and be a `kind` of thing when one is
 * given: a missing path, or a folder where a file is read, is a usage error (exit 2) naming the flag, not a
 * runtime failure deep inside the command. So is a path no file can have (`unusableInputPath`).
 */
export function requireInput(flag: string, path: string, hint: string, kind?: "file" | "folder"): void {
  let isFolder: boolean;
  try {
    isFolder = Deno.statSync(path).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UsageError(`${flag}: ${path} does not exist`, hint);
    const problem = unusableInputPath(flag, path, hint, error, kind);
    if (problem !== null) throw problem;
    throw error;
  }
  if (kind === "file" && isFolder) throw new UsageError(`${flag}: ${path} is a folder, not a file`, hint);
  if (kind === "folder" && !isFolder) throw new UsageError(`${flag}: ${path} is a file, not a folder`, hint);
}

/**
 * The usage error for a `path` through a symbolic link loop or with a name too long, or null: what
 * `requireFolderPath`, demo's --dir and collect's --csv-path refuse before their own checks, which say a file
 * on the way (ENOTDIR) and a missing path in their words (--csv-path said "does not exist" of a loop).
 */
export function loopOrLongNameError(
  flag: string,
  path: string,
  hint: string,
  kind: "file" | "folder" = "folder",
): UsageError | null {
  try {
    Deno.statSync(path);
    return null;
  } catch (error) {
    const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    const loopOrLong = error instanceof Deno.errors.FilesystemLoop || code === "ELOOP" ||
      code === "ENAMETOOLONG";
    return loopOrLong ? unusableInputPath(flag, path, hint, error, kind) : null;
  }
}

/**
 * Why the stat of input `path` failed, as a usage error naming `flag`, when the path itself is wrong: a file
 * named as a folder (`req.json/`, or `data.csv/x`: ENOTDIR), a symbolic link loop (ELOOP), a name too long for
 * the file system (ENAMETOOLONG). Each was "unexpected failure: Not a directory (os error 20) … this is a bug",
 * exit 1 (a seat's trial). Null for any other failure (no permission: program.ts's filesystem words). `hint`:
 * the caller's, for a file where a folder is meant.
 */
function unusableInputPath(
  flag: string,
  path: string,
  hint: string,
  error: unknown,
  kind?: "file" | "folder",
): UsageError | null {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  // `--checkpoint` takes no kind (its own check says a file is no version): "the path meant" there.
  const meant = kind === undefined ? "the path meant" : `the ${kind} meant`;
  if (error instanceof Deno.errors.NotADirectory || code === "ENOTDIR") {
    // A trailing separator makes the name a folder's: where a file is read, the file without it is the one
    // meant; where a folder is (a version, the store), that file is not it, and the caller's hint says what is.
    const bare = path.replace(/(.)\/+$/, "$1");
    if (bare !== path && pathKind(bare) === "file") {
      return kind === "file"
        ? new UsageError(
          `${flag}: ${path} names a file as a folder (a trailing slash?)`,
          `write ${flag} ${shellWord(bare)}, without the slash`,
        )
        : new UsageError(`${flag}: ${path} names a file as a folder: ${bare} is a file, not a folder`, hint);
    }
    const file = fileAbove(path);
    return new UsageError(
      file === null
        ? `${flag}: ${path} names a file as a folder on its way`
        : `${flag}: ${path} cannot exist: ${file} is a file, not a folder`,
      `point ${flag} at ${meant}`,
    );
  }
  if (error instanceof Deno.errors.FilesystemLoop || code === "ELOOP") {
    let isLink = false;
    try {
      isLink = Deno.lstatSync(path).isSymlink;
    } catch {
      // A loop on its way (`loop/x`): lstat fails as stat did.
    }
    return new UsageError(
      `${flag}: ${path} ${isLink ? "is" : "goes through"} a symbolic link loop (links that lead back to ` +
        "each other, or to themselves)",
      `make the link lead to ${meant} ('ls -l' shows where each link points), or point ${flag} at it`,
    );
  }
  if (code === "ENAMETOOLONG" || (error instanceof Error && error.message.includes("(os error 36)"))) {
    return new UsageError(
      `${flag}: ${
        path.length > 80 ? `${path.slice(0, 60)}… (${path.length} characters)` : path
      } has a name ` +
        "too long for the file system (over 255 bytes in one name, or 4096 in the whole path)",
      `point ${flag} at ${meant}, by a shorter name`,
    );
  }
  return null;
}

/**
 * A training CSV with no candles (a header alone, as a collect stopped before its first page leaves one) is
 * the input that is wrong, as a missing `--data` is: a usage error (exit 2) saying to collect first, worded
 * once for train, evaluate and retrain. `why` says what the command does with the candles, where that is not
 * plain; `interval` is the candles to collect (1h when unknown, or no Binance interval).
 */
export function requireCandles(
  series: readonly CandleSeries[],
  data: string,
  command: string,
  { why, interval = null }: { why?: string; interval?: string | null } = {},
): void {
  if (series.some((s) => s.length > 0)) return;
  const candles = interval !== null && isInterval(interval) ? interval : "1h";
  throw new UsageError(
    `${data} holds no candles (a header alone)` + (why ? `, and ${why}` : ""),
    `fill it once with 'candlecast collect --symbols BTCUSDT,ETHUSDT --interval ${candles} --months 12 ` +
      `--output ${shellWord(data)}' (or --source json/csv), then run ${command}`,
  );
}

/**
 * A folder the command reads and writes, created when missing (`--checkpoints`): a file there is a usage error
 * (exit 2) naming the flag, found before any work rather than as an OS error ("Not a directory") deep inside.
 */
export function requireFolderPath(
  flag: string,
  path: string,
  hint = `point ${flag} at the folder that holds the versions (default: checkpoints)`,
): void {
  // Checked before the flags are parsed (train's store is claimed first): "--checkpoints:  cannot be written:
  // Empty path is not allowed" was Deno's word for `--checkpoints ""`.
  if (path === "") throw new UsageError(`${flag}: expected a folder path`, hint);
  // A link loop or a name too long: `models list --checkpoints loop` was "unexpected failure … a bug" at its
  // readdir, and rollback's "does not exist" sent the user looking for a folder (a docs seat).
  const loop = loopOrLongNameError(flag, path, hint);
  if (loop !== null) throw loop;
  if (pathKind(path) === "file") throw new UsageError(`${flag}: ${path} is a file, not a folder`, hint);
  // A missing folder is made when needed, which a file on its way makes impossible ("Not a directory").
  const file = fileAbove(path);
  if (file !== null) throw new UsageError(`${flag}: ${path} cannot be a folder: ${file} is a file`, hint);
  // A version (checkpoints/current, say: serve, predict and export take one) is not a store: writing versions
  // into it would nest a store inside the version being served, and `current` would never move.
  if (pathKind(join(path, "manifest.json")) === "file") {
    throw new UsageError(
      `${flag}: ${path} is a model version, not the folder that holds the versions`,
      `point ${flag} at the folder above it (${shellWord(dirname(absoluteIfKnown(path)))})`,
    );
  }
}

/**
 * How a command writes its file: `replace` (a temporary file beside it, renamed over it: collect, export,
 * evaluate), `append` (to the file itself: retrain's log), `append-rotate` (to the file, renamed aside when it
 * grows: serve's prediction log).
 */
export type WriteMode = "replace" | "append" | "append-rotate";

/**
 * A path the command will write a file to: not a folder, and not under a file (missing folders are created),
 * and writable the way `writes` says. `example` names a file for the hint when `path` is a folder.
 */
export function requireOutputFile(
  flag: string,
  path: string,
  example?: string,
  { writes = "replace" }: { readonly writes?: WriteMode } = {},
): void {
  const problem = outputFileProblem(path, example) ?? writeProblem(path, writes);
  if (problem) throw new UsageError(`${flag}: ${problem.message}`, problem.hint);
}

/** A folder the command writes into (train's and retrain's `--checkpoints`): refused now if it cannot be. */
export function requireWritableFolder(flag: string, path: string): void {
  const problem = writeProblem(path, "replace");
  if (problem) throw new UsageError(`${flag}: ${problem.message}`, problem.hint);
}

/**
 * Why this process cannot write `path` (a file, or a folder to write into) as `writes` says, or null. Checked
 * before the work: `evaluate` learned only at the end, after hours of training, that its --output-dir was
 * read-only, and `serve` only at its first prediction that its log could not be written. The folder that takes
 * new files (a temporary file, a rotated log, missing folders) is probed with a file made and removed; a file
 * appended to is opened for appending. A symlink is followed, as the writers follow it.
 */
function writeProblem(path: string, writes: WriteMode): { message: string; hint: string } | null {
  const refused = (error: unknown) => {
    // Deno grants /dev, /proc and /sys only to --allow-all, which candlecast does not ask for; its own message
    // ("run again with the --allow-all flag") names a flag no candlecast user can give. (Any other refusal is
    // NotCapable too: run without --allow-write, which the hint below names.)
    if (error instanceof Deno.errors.NotCapable && /--allow-all/.test((error as Error).message)) {
      return {
        message:
          `${path} cannot be written: candlecast runs with named permissions, and /dev, /proc and /sys ` +
          "need Deno's --allow-all",
        hint:
          "choose a path outside /dev, /proc and /sys (a file in a mounted folder, for a container's logs)",
      };
    }
    const known = filesystemProblem(error);
    // Deno's own refusal (run without --allow-write) is the command line's to fix, not the folder's.
    const denied = /--allow-write/.test((error as Error).message);
    return {
      message: `${path} cannot be written: ${known?.message ?? (error as Error).message}`,
      hint: denied
        ? "run it with --allow-write ('deno task cli' and the compiled binary grant it)"
        : known?.hint ?? "choose a path this user can write to",
    };
  };
  try {
    const info = statOrNull(path);
    const existing = info !== null && !info.isDirectory ? info : null;
    // A device or a pipe (`--predictions-log /dev/stdout`) is written in place, and is not opened here: opening
    // a pipe no one reads waits for a reader (collect's refusal of a pipe as --output hung on it).
    if (existing !== null && !existing.isFile) return null;
    const target = existing !== null ? Deno.realPathSync(path) : resolve(path);
    // An existing file appended to in place needs only itself; anything else needs its folder too.
    if (!(existing !== null && writes === "append")) {
      const dir = nearestFolder(existing !== null ? dirname(target) : target);
      try {
        Deno.removeSync(Deno.makeTempFileSync({ dir, prefix: ".candlecast-write-check-" }));
      } catch (error) {
        // A folder that exists yet answers "No such file or directory" to a new file is a virtual file system
        // (/proc, /sys); Deno's message names only its operation ("…: tmpfile"), so the folder is named here.
        if (error instanceof Deno.errors.NotFound) {
          return {
            message:
              `${path} cannot be written: ${dir} takes no new files (virtual file systems such as /proc and /sys take none)`,
            hint: "choose a path in an ordinary folder",
          };
        }
        throw Object.assign(error as Error, {
          message: (error as Error).message.replace(/: tmpfile$/, `: creating a file in '${dir}'`),
        });
      }
    }
    if (existing !== null && writes !== "replace") Deno.openSync(target, { append: true }).close();
  } catch (error) {
    return refused(error);
  }
  return null;
}

/**
 * `path` itself when it is a folder, else the nearest folder above it that exists; a path that cannot even be
 * looked at (no permission) stops the climb there, so the probe fails on it rather than on a folder above.
 */
function nearestFolder(path: string): string {
  for (let dir = path;; dir = dirname(dir)) {
    try {
      if (Deno.statSync(dir).isDirectory) return dir;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return dir;
    }
    if (dirname(dir) === dir) return dir;
  }
}

/** A folder the command will write `file` into: the same checks, before any work rather than at the end. */
export function requireOutputFolder(flag: string, path: string, file: string): void {
  requireOutputFile(flag, join(path, file));
}

/**
 * ` --checkpoints DIR` for a command a hint spells out (quoted for the shell, so it works as printed), or nothing
 * for the default folder.
 */
export function checkpointsFlag(dir: string): string {
  return pathFlag("--checkpoints", dir, DEFAULTS.checkpoints);
}

/** ` FLAG PATH` for a command a hint spells out (quoted for the shell), or nothing when PATH is the default. */
export function pathFlag(flag: string, path: string, fallback: string): string {
  return samePath(path, fallback) ? "" : ` ${flag} ${shellWord(path)}`;
}

/**
 * `path` made absolute against the working folder, or as given when the working folder is gone (deleted under
 * a running command): a message that only shows a path must not fail on it. Before, train's "export, then
 * promote" instructions threw there, and read "unexpected failure … this is a bug".
 */
export function absoluteIfKnown(path: string): string {
  try {
    return resolve(path);
  } catch {
    return path;
  }
}

/** Whether two paths name the same place, compared as written when the working folder cannot be read. */
function samePath(a: string, b: string): boolean {
  try {
    return resolve(a) === resolve(b);
  } catch {
    const written = (p: string) => normalize(p).replace(/(.)[\\/]+$/, "$1");
    return written(a) === written(b);
  }
}
