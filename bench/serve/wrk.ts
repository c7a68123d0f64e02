/**
 * Drives a server with `wrk` (Debian: `apt-get install wrk`) when it is installed: an external, C load
 * generator, so the figures do not include a JavaScript client's own cost. Optional; the serve bench falls
 * back to its own client without it.
 */
import os from "node:os";

export function haveWrk(): boolean {
  try {
    return new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync() !==
      null;
  } catch {
    return false;
  }
}

export interface WrkResult {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly perSecond: number;
  readonly requests: number;
  /** Responses with a status outside 2xx/3xx, plus socket errors. */
  readonly bad: number;
  /** Cores wrk itself kept busy on average (its user + system time from bash's `times`); NaN without it. */
  readonly wrkCores: number;
  /**
   * Cores the whole machine kept busy during the run, on average (node:os's CPU counters; NaN where there are
   * none): on a quiet machine the server, wrk, and the kernel's loopback work.
   */
  readonly busyCores: number;
}

/**
 * Busy and total CPU time of the machine so far, summed over its cores (node:os's `cpus()`, which reads
 * /proc/stat: Deno grants that file itself only to --allow-all); null where it is unavailable.
 */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const cores = os.cpus();
    if (cores.length === 0) return null;
    let busy = 0, total = 0;
    for (const { times } of cores) {
      const all = times.user + times.nice + times.sys + times.idle + times.irq;
      busy += all - times.idle;
      total += all;
    }
    return { busy, total };
  } catch {
    return null;
  }
}

/** The children's user and system seconds from bash's `times` (its second line: "0m1.250s 0m0.310s"). */
function childSeconds(timesOutput: string): number {
  const line = timesOutput.trim().split("\n").at(-1) ?? "";
  const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return parts.length === 2 ? parts[0] + parts[1] : NaN;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function latency(out: string, percent: string): number {
  const m = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m)$`, "m").exec(out);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
}

/**
 * POSTs `body` as JSON to `url` (GET when `body` is null) over `connections` keep-alive connections, for
 * `seconds`, or until about `maxRequests` responses when given.
 */
export async function runWrk(options: {
  url: string;
  connections: number;
  seconds: number;
  body?: string | null;
  maxRequests?: number;
}): Promise<WrkResult> {
  const threads = Math.min(options.connections, 2);
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  const lua: string[] = [];
  if (options.body) {
    lua.push(
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.body = ${JSON.stringify(options.body)}`,
    );
  }
  if (options.maxRequests) {
    // Each thread stops after its share of the responses.
    lua.push(
      "local count = 0",
      `local limit = ${Math.ceil(options.maxRequests / threads)}`,
      "response = function() count = count + 1; if count >= limit then wrk.thread:stop() end end",
    );
  }
  await Deno.writeTextFile(script, lua.join("\n") + "\n");
  try {
    // Through bash, whose `times` then prints wrk's CPU time on stderr: how much of the machine the load
    // generator itself took, and so how much was left for the server's workers.
    const before = machineTicks();
    const start = performance.now();
    const out = await new Deno.Command("bash", {
      args: [
        "-c",
        'wrk "$@"; status=$?; times >&2; exit $status',
        "wrk",
        `-t${threads}`,
        `-c${options.connections}`,
        `-d${options.seconds}s`,
        "--latency",
        "-s",
        script,
        options.url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const after = machineTicks();
    const wallSeconds = (performance.now() - start) / 1000;
    const text = new TextDecoder().decode(out.stdout);
    const busyCores = before && after
      ? (after.busy - before.busy) / (after.total - before.total) * os.cpus().length
      : NaN;
    const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
    const errors = socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
    return {
      p50Ms: latency(text, "50"),
      p99Ms: latency(text, "99"),
      perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
      requests,
      bad: non2xx + errors,
      wrkCores: childSeconds(new TextDecoder().decode(out.stderr)) / wallSeconds,
      busyCores,
    };
  } finally {
    await Deno.remove(script);
  }
}
