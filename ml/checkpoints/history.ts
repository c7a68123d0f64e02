/**
 * `.current_history.json`: the targets `current` had before, oldest first, that `rollback` walks back. Written
 * by `promote` and `rollback` under `.current.lock` (store.ts); read by them, by `rollbackTarget` and by
 * `pruneVersions`, which spares the version a rollback would return to.
 */
import { join } from "node:path";
import { z } from "zod";
import { NotRegularFileError, readRegularTextFile, shellWord, writeFileAtomic } from "../../base/index.ts";
import { CheckpointStoreError } from "./errors.ts";

const HISTORY_FILE = ".current_history.json";
const HISTORY_LIMIT = 20;

/** `.current_history.json`: the targets `current` had before, oldest first (what `rollback` walks back). */
const HistorySchema = z.object({ previous: z.array(z.unknown()).catch([]) }).loose();

/**
 * The versions `current` pointed at before, oldest first: [] when there is no history or it cannot be read
 * (a rollback then says there is nothing to return to, rather than failing on a damaged bookkeeping file).
 * Something else of that name (a FIFO, a folder) is refused unopened, with what to do: reading a FIFO hung
 * promote and rollback, and the history written after it would have been written into it (hanging again).
 */
export async function readHistory(root: string): Promise<string[]> {
  const path = join(root, HISTORY_FILE);
  try {
    const parsed = HistorySchema.parse(JSON.parse(await readRegularTextFile(path)));
    return parsed.previous.filter((v): v is string => typeof v === "string");
  } catch (error) {
    if (error instanceof NotRegularFileError) {
      throw new CheckpointStoreError(
        `${path} is ${error.kind}, not the file where promote records the versions rollback returns to; ` +
          "current is unchanged",
        `move it away ('mv ${shellWord(path)} ${
          shellWord(`${path}.bak`)
        }'); the next promote starts a new history`,
      );
    }
    return [];
  }
}

/**
 * Replaces the history with `previous` (its newest HISTORY_LIMIT entries), atomically. Only under
 * `.current.lock`: promote and rollback read it, then write it.
 */
export async function writeHistory(root: string, previous: string[]): Promise<void> {
  await writeFileAtomic(
    join(root, HISTORY_FILE),
    JSON.stringify({ previous: previous.slice(-HISTORY_LIMIT) }, null, 2) + "\n",
  );
}
