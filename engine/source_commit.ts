/**
 * The git commit of the code that is running, when it runs from a git checkout: `candlecast_version` alone
 * stayed "0.1.0" while the default recipe changed many times, so a manifest or evaluation.json could not say
 * which code made it. Read from the checkout's files (no `git` process); null in a compiled binary, outside a
 * checkout, or when the files cannot be read. Whether the working tree had uncommitted changes is not known.
 *
 * @example
 * ```ts
 * import { sourceCommit } from "./source_commit.ts";
 *
 * console.log(sourceCommit() ?? "not from a git checkout"); // "8316e2f0…" (40 hex digits)
 * ```
 */
import { dirname, join } from "node:path";

const SHA = /^[0-9a-f]{40}$/;

/** The commit `HEAD` names in the checkout whose `.git` lies in `root` (the repository folder). */
export function commitOf(root: string): string | null {
  try {
    const git = join(root, ".git");
    const head = Deno.readTextFileSync(join(git, "HEAD")).trim();
    if (SHA.test(head)) return head; // a detached HEAD
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (!ref) return null;
    try {
      const loose = Deno.readTextFileSync(join(git, ref)).trim();
      if (SHA.test(loose)) return loose;
    } catch {
      // not a loose ref: after `git gc` it lives in packed-refs
    }
    for (const line of Deno.readTextFileSync(join(git, "packed-refs")).split("\n")) {
      const [sha, name] = line.trim().split(" ");
      if (name === ref && SHA.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}

let cached: string | null | undefined;

/** The commit of this candlecast's own checkout (read once), or null. */
export function sourceCommit(): string | null {
  if (cached === undefined) {
    const here = new URL(import.meta.url);
    cached = here.protocol === "file:" ? commitOf(dirname(dirname(decodeURIComponent(here.pathname)))) : null;
  }
  return cached;
}
