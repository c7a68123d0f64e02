/**
 * `.current_history.json`: the targets `current` had before, oldest first, that `rollback` walks back
 * (`previous`), and every version `current` has moved off (`served`), which a rollback does not take back.
 * Written by `promote` and `rollback` under `.current.lock` (store.ts); read by them, by `rollbackTarget` and by
 * `pruneVersions`, which spares the version a rollback would return to and deletes served versions last.
 */
import { join } from "node:path";
import { z } from "zod";
import { NotRegularFileError, readRegularTextFile, shellWord, writeFileAtomic } from "../../base/index.ts";
import { CheckpointStoreError } from "./errors.ts";

const HISTORY_FILE = ".current_history.json";
const HISTORY_LIMIT = 20;
/** `served` keeps this many versions, the latest served: a weekly promotion for ten years stays under it. */
const SERVED_LIMIT = 500;

/**
 * `.current_history.json`: the targets `current` had before, oldest first (what `rollback` walks back), and
 * the versions `current` moved off (`served`, each recorded by the promote or rollback that moved it, so the one
 * in `current` now is not listed for serving now). A file without `served` (written before it was recorded)
 * reads as `previous` (`readHistoryFile`), whose versions all served.
 */
const HistorySchema = z.object({
  previous: z.array(z.unknown()).catch([]),
  served: z.array(z.unknown()).optional().catch(undefined),
}).loose();

/** The history: the rollback targets, oldest first, and every version `current` moved off, oldest first. */
export interface History {
  readonly previous: string[];
  /**
   * Versions `current` pointed at and moved off (recorded by the promote or rollback that moved it; the one in
   * `current` now is not listed until then), `previous`'s included (a rollback drops the entries it walks back over from
   * `previous`, never from here). A store whose history predates the record lists `previous` alone.
   */
  readonly served: string[];
}

const names = (values: readonly unknown[]) => values.filter((v): v is string => typeof v === "string");

/** The history as read: `damaged` says how the file is, when it is there but not whole (see readHistoryFile). */
export interface HistoryRead extends History {
  /** "it is empty", "it is not JSON: …", …: what `damagedHistoryError` says; absent when the file is whole or none. */
  readonly damaged?: string;
}

/**
 * The history of `current`: empty when there is none. One that is there but empty, cut short or not a history
 * reads as what of it is whole (nothing, mostly), with `damaged` saying how: promote writes a new one, and
 * rollback, with nothing left to return to, says the file is damaged (`damagedHistoryError`) rather than
 * "there is no earlier version", which named no file. Something else of that name (a FIFO, a folder) is
 * refused unopened, with what to do: reading a FIFO hung promote and rollback, and the history written after it
 * would have been written into it (hanging again).
 */
export async function readHistoryFile(root: string): Promise<HistoryRead> {
  const path = join(root, HISTORY_FILE);
  let text: string;
  try {
    text = await readRegularTextFile(path);
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
    if (error instanceof Deno.errors.NotFound) return { previous: [], served: [] };
    return { previous: [], served: [], damaged: `it cannot be read: ${messageOf(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const damaged = text.trim() === "" ? "it is empty" : "it is not JSON: cut short or overwritten";
    return { previous: [], served: [], damaged };
  }
  const parsed = HistorySchema.safeParse(json);
  if (!parsed.success) return { previous: [], served: [], damaged: "it holds no list of versions" };
  const previous = names(parsed.data.previous);
  const whole = WrittenSchema.safeParse(json);
  const damaged = whole.success
    ? undefined
    : whole.error.issues[0].path[0] === "served"
    ? "its served is no list of version names"
    : "its previous is no list of version names";
  return {
    previous,
    served: union(names(parsed.data.served ?? []), previous),
    ...(damaged === undefined ? {} : { damaged }),
  };
}

/** The history as promote writes it (`served` absent in a file written before it was recorded): whole. */
const WrittenSchema = z.object({ previous: z.array(z.string()), served: z.array(z.string()).optional() });
const messageOf = (error: unknown) => error instanceof Error ? error.message : String(error);

/**
 * What rollback says when the history is damaged (`HistoryRead.damaged`) and no earlier version is left in it:
 * the file, how it is damaged, and the way on, a promote by hand, which writes a new history.
 */
export function damagedHistoryError(root: string, damaged: string): CheckpointStoreError {
  return new CheckpointStoreError(
    `${
      join(root, HISTORY_FILE)
    }, where promote records the versions rollback returns to, is damaged (${damaged}): ` +
      "which version served before is not known; current is unchanged",
    `promote the version to return to with 'candlecast models promote VERSION --checkpoints ${
      shellWord(root)
    }' ('candlecast models list' names them), which starts a new history`,
  );
}

/** The versions `current` pointed at before, oldest first (what `rollback` walks back); see readHistoryFile. */
export async function readHistory(root: string): Promise<string[]> {
  return (await readHistoryFile(root)).previous;
}

/** `served` with `more` added at its end (each moved there if it is in already): they served last. */
export function withServed(served: readonly string[], ...more: (string | null)[]): string[] {
  const added = [...new Set(more.filter((v): v is string => v !== null))];
  return [...served.filter((v) => !added.includes(v)), ...added];
}

/** `a`, then those of `b` not in it: each version once. */
function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * Replaces the history with `previous` (its newest HISTORY_LIMIT entries) and `served` (`previous` added, its
 * newest SERVED_LIMIT), atomically. Only under `.current.lock`: promote and rollback read it, then write it.
 */
export async function writeHistory(root: string, { previous, served }: History): Promise<void> {
  await writeFileAtomic(
    join(root, HISTORY_FILE),
    JSON.stringify(
      {
        previous: previous.slice(-HISTORY_LIMIT),
        served: union(served, previous).slice(-SERVED_LIMIT),
      },
      null,
      2,
    ) + "\n",
  );
}
