/**
 * `/metrics` for the whole service when `serve --workers N` runs N processes: a scrape lands on one of them,
 * so each writes its counters to `<dir>/worker-<k>.json` every second (temp file, then rename) and adds the
 * others' latest files to what it renders. The sum is at most a second stale for the other workers, yet it
 * never goes down from one scrape to the next, whichever worker each lands on: a worker writes its file with
 * the very snapshot it renders before it answers, and its writes run one at a time, each with a snapshot taken
 * when it runs, so a file only grows and holds at least what any scrape showed of that worker. (Rendering its
 * live counters beside the others' files read 1, 2, 1, 2 on scrapes under a second apart.) A worker
 * that replaces a dead one (the parent restarts it) first retires the dead one's file to
 * `retired-<k>-<id>.json`, whose counters stay in the sum, so the service's counters never go down; a retired
 * file's gauges (open connections, the model it had) are left out, since that process is gone.
 *
 * A write that fails (a full or read-only TMPDIR) costs no request, but the other workers' scrapes then leave
 * this one's newest counters out: said once (`metrics_share_failed`), and again when a write works
 * (`metrics_share_recovered`). Before, /metrics undercounted without a word.
 */
import { join } from "node:path";
import { z } from "zod";
import type { Metrics, MetricsSnapshot, Scrape } from "./metrics.ts";
import type { Logger } from "./log.ts";

const Count = z.number().finite().nonnegative();
const SnapshotSchema = z.object({
  requests: z.array(z.tuple([z.string(), Count])),
  latency: z.array(z.tuple([z.string(), z.object({ counts: z.array(Count), sum: Count, count: Count })])),
  samples: z.array(z.object({
    name: z.string().regex(/^[a-z_]+$/),
    help: z.string(),
    type: z.enum(["counter", "gauge"]),
    value: z.number().finite(),
    labels: z.record(z.string(), z.string()).optional(),
  })),
});

/**
 * One `serve` worker's part in the service-wide /metrics: `start` writes its counters into `dir` (each
 * second by default), and its Metrics adds the other workers' files to each render.
 */
export class SharedMetrics {
  readonly #dir: string;
  readonly #worker: number;
  readonly #metrics: Metrics;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #log: Logger;
  /** The writes in order: each takes its snapshot when its turn comes, so the file never goes back. */
  #writes: Promise<unknown> = Promise.resolve();
  /** Writes failed since the last that worked (the first is logged, and the next that works). */
  #failures = 0;

  constructor(dir: string, worker: number, metrics: Metrics, log: Logger = () => {}) {
    this.#dir = dir;
    this.#worker = worker;
    this.#metrics = metrics;
    this.#log = log;
    metrics.addPeers(() => this.scrape());
  }

  /** Retires a dead predecessor's file, then writes this worker's counters now and every `everyMs`. */
  async start(everyMs = 1000): Promise<void> {
    const own = join(this.#dir, `worker-${this.#worker}.json`);
    await Deno.rename(own, join(this.#dir, `retired-${this.#worker}-${crypto.randomUUID()}.json`))
      .catch(() => {}); // none: this worker is the first with its index
    await this.write();
    this.#timer = setInterval(() => void this.write(), everyMs);
  }

  /** Stops writing and leaves a last snapshot, so the service's counters keep this worker's requests. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.write();
  }

  /** Writes this worker's counters as they are when its turn comes; resolves to the snapshot written. */
  write(): Promise<MetricsSnapshot> {
    const turn = this.#writes.then(async () => {
      const snapshot = this.#metrics.snapshot();
      const path = join(this.#dir, `worker-${this.#worker}.json`);
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      try {
        await Deno.writeTextFile(tmp, JSON.stringify(snapshot));
        await Deno.rename(tmp, path);
      } catch (error) {
        // A full /tmp costs the other workers' view of this one's counters, never a request: said, once.
        await Deno.remove(tmp).catch(() => {});
        if (this.#failures++ === 0) {
          this.#log({
            event: "metrics_share_failed",
            path,
            error: error instanceof Error ? error.message : String(error),
            hint:
              "still serving; the other workers' /metrics leave this worker's counters out (they undercount) " +
              "until a write works, retried each second: free space in the temporary directory (df -h " +
              `${this.#dir}) or restart serve with a TMPDIR that has room`,
          });
        }
        return snapshot;
      }
      if (this.#failures > 0) {
        this.#log({ event: "metrics_share_recovered", failed_writes: this.#failures });
        this.#failures = 0;
      }
      return snapshot;
    });
    this.#writes = turn;
    return turn;
  }

  /** One scrape's parts: this worker's snapshot, published first, and the other workers' latest files. */
  async scrape(): Promise<Scrape> {
    const own = await this.write();
    return { own, peers: await this.peers() };
  }

  async peers(): Promise<MetricsSnapshot[]> {
    const own = `worker-${this.#worker}.json`;
    const snapshots: MetricsSnapshot[] = [];
    for await (const entry of Deno.readDir(this.#dir)) {
      const retired = /^retired-\d+-[\w-]+\.json$/.test(entry.name);
      if (!(retired || /^worker-\d+\.json$/.test(entry.name)) || entry.name === own) continue;
      try {
        const snapshot = SnapshotSchema.parse(
          JSON.parse(await Deno.readTextFile(join(this.#dir, entry.name))),
        );
        snapshots.push(
          retired ? { ...snapshot, samples: snapshot.samples.filter((x) => x.type === "counter") } : snapshot,
        );
      } catch {
        // Being replaced right now, or unreadable: left out of this scrape.
      }
    }
    return snapshots;
  }
}
