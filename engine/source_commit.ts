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
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

const SHA = /^[0-9a-f]{40}$/;

/**
 * The commit `HEAD` names in the checkout whose `.git` lies in `root` (the repository folder). In a linked
 * worktree (`git worktree add`) or a submodule `.git` is a file, "gitdir: <path>", naming the folder that holds
 * its HEAD; a worktree's branches and packed-refs then live in the main repository's folder, which that one's
 * `commondir` names.
 */
export function commitOf(root: string): string | null {
  try {
    const git = gitDir(join(root, ".git"));
    const common = commonDir(git);
    const head = Deno.readTextFileSync(join(git, "HEAD")).trim();
    if (SHA.test(head)) return head; // a detached HEAD
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (!ref) return null;
    for (const dir of new Set([git, common])) {
      try {
        const loose = Deno.readTextFileSync(join(dir, ref)).trim();
        if (SHA.test(loose)) return loose;
      } catch {
        // not a loose ref: after `git gc` it lives in packed-refs
      }
    }
    for (const line of Deno.readTextFileSync(join(common, "packed-refs")).split("\n")) {
      const [sha, name] = line.trim().split(" ");
      if (name === ref && SHA.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}

/** The folder `.git` stands for: itself, or the one its "gitdir: <path>" line names (relative to `.git`'s folder). */
function gitDir(dotGit: string): string {
  if (Deno.statSync(dotGit).isDirectory) return dotGit;
  const named = /^gitdir: (.+)$/m.exec(Deno.readTextFileSync(dotGit))?.[1].trim();
  if (!named) throw new Error(`${dotGit}: no gitdir line`);
  return isAbsolute(named) ? named : join(dirname(dotGit), named);
}

/** Where a worktree's shared refs live: the folder its `commondir` file names, else the git folder itself. */
function commonDir(git: string): string {
  try {
    const named = Deno.readTextFileSync(join(git, "commondir")).trim();
    return isAbsolute(named) ? named : join(git, named);
  } catch {
    return git;
  }
}

let cached: string | null | undefined;

/** The commit of this candlecast's own checkout (read once), or null. */
export function sourceCommit(): string | null {
  if (cached === undefined) {
    // fileURLToPath, not the URL's pathname: on Windows that reads "/C:/…", not a path.
    const here = new URL(import.meta.url);
    cached = here.protocol === "file:" ? commitOf(dirname(dirname(fileURLToPath(here)))) : null;
  }
  return cached;
}
