import assert from "node:assert/strict";
import { join } from "node:path";
import { commitOf, sourceCommit } from "./source_commit.ts";

const A = "0123456789abcdef0123456789abcdef01234567";
const B = "89abcdef0123456789abcdef0123456789abcdef";

Deno.test("commitOf reads HEAD: a branch's loose ref, its packed ref, a detached HEAD; null outside a checkout", async () => {
  const root = await Deno.makeTempDir({ prefix: "candlecast-commit-" });
  try {
    assert.equal(commitOf(root), null);
    const git = join(root, ".git");
    await Deno.mkdir(join(git, "refs", "heads"), { recursive: true });
    await Deno.writeTextFile(join(git, "HEAD"), "ref: refs/heads/main\n");
    await Deno.writeTextFile(join(git, "packed-refs"), `# pack-refs with: peeled\n${B} refs/heads/main\n`);
    assert.equal(commitOf(root), B);
    await Deno.writeTextFile(join(git, "refs", "heads", "main"), `${A}\n`);
    assert.equal(commitOf(root), A);
    await Deno.writeTextFile(join(git, "HEAD"), `${B}\n`);
    assert.equal(commitOf(root), B);
    await Deno.writeTextFile(join(git, "HEAD"), "ref: refs/heads/gone\n");
    assert.equal(commitOf(root), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("commitOf follows a linked worktree's .git file: HEAD in its gitdir, the branch in the main repository", async () => {
  // `git worktree add` (and a submodule) leaves .git as a file, "gitdir: …": it was read as a folder, so a
  // run from a worktree recorded no commit.
  const root = await Deno.makeTempDir({ prefix: "candlecast-worktree-" });
  try {
    const main = join(root, "main", ".git");
    const linked = join(main, "worktrees", "wt");
    await Deno.mkdir(join(main, "refs", "heads"), { recursive: true });
    await Deno.mkdir(linked, { recursive: true });
    await Deno.mkdir(join(root, "wt"));
    await Deno.writeTextFile(join(root, "wt", ".git"), `gitdir: ${linked}\n`);
    await Deno.writeTextFile(join(linked, "commondir"), "../..\n");
    await Deno.writeTextFile(join(linked, "HEAD"), "ref: refs/heads/topic\n");
    await Deno.writeTextFile(join(main, "packed-refs"), `${B} refs/heads/topic\n`);
    assert.equal(commitOf(join(root, "wt")), B);
    await Deno.writeTextFile(join(main, "refs", "heads", "topic"), `${A}\n`);
    assert.equal(commitOf(join(root, "wt")), A);
    await Deno.writeTextFile(join(linked, "HEAD"), `${B}\n`);
    assert.equal(commitOf(join(root, "wt")), B);
    // A relative gitdir (a submodule's "gitdir: ../.git/modules/x") is read from the .git file's folder.
    await Deno.writeTextFile(join(root, "wt", ".git"), "gitdir: ../main/.git/worktrees/wt\n");
    assert.equal(commitOf(join(root, "wt")), B);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("sourceCommit is this checkout's HEAD when the tests run from one", async () => {
  const out = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], stdout: "piped", stderr: "null" })
    .output().catch(() => null);
  if (!out?.success) return; // no git here, or not a checkout: nothing to compare with
  assert.equal(sourceCommit(), new TextDecoder().decode(out.stdout).trim());
});
