/**
 * One retrain at a time: a lock file created exclusively, holding the owner's pid. A lock whose process is
 * gone (a crash, a kill -9) is stale and taken over, so one crash never blocks every later cron run.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { CommandError } from "../errors.ts";

/** A harmless signal probes whether the owner lives: "no such process" means it died without cleaning up. */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}

export interface Lock {
  release(): Promise<void>;
  /** Set when a stale lock of a dead process was taken over. */
  readonly tookOverFrom?: number;
}

export async function acquireLock(path: string): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true });
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(JSON.stringify({ pid: Deno.pid, started: new Date().toISOString() }) + "\n");
      await handle.close();
      return { release: () => rm(path, { force: true }), tookOverFrom };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      const owner = await readFile(path, "utf8").then((t) =>
        JSON.parse(t) as { pid?: number; started?: string }
      )
        .catch(() => ({} as { pid?: number; started?: string }));
      if (typeof owner.pid === "number" && alive(owner.pid)) {
        throw new CommandError(
          `another retrain is running (pid ${owner.pid}, since ${owner.started ?? "?"}); ${path} is its lock`,
          "wait for it to finish; the lock is released when it ends",
        );
      }
      tookOverFrom = owner.pid;
      await rm(path, { force: true });
    }
  }
  throw new CommandError(`could not take the retrain lock ${path}`);
}
