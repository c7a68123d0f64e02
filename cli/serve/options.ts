/**
 * `serve`'s flags as one typed object: commander hands over strings, this schema turns them into numbers,
 * address ranges, host and origin lists once, and serve and its workers (`workers.ts`) work with
 * `ServeOptions`.
 */
import { z } from "zod";
import { parseAddressRange, PROXY_HEADERS } from "../../server/index.ts";
import { decisionFlag } from "../decision_flag.ts";
import { flag, splitList } from "../flags.ts";

/**
 * The longest serve time flag, in seconds: 24 days. Each becomes a timer or node:http's own limit, which hold
 * at most 2^31 − 1 ms (24.8 days; the workers' kill timer adds 5 s to --shutdown-timeout): `--request-timeout
 * 1e13` was "unexpected failure: The value of "requestTimeout" is out of range", and a longer keep-alive was
 * cut to 1 ms by the socket's timer.
 */
export const MAX_TIMEOUT_S = 24 * 24 * 3600;

/** A serve timeout: seconds > 0, at most `MAX_TIMEOUT_S`. */
const seconds = () =>
  flag.number(`a number of seconds > 0`, (n) =>
    n.positive().max(
      MAX_TIMEOUT_S,
      `expected a number of seconds > 0 and at most ${MAX_TIMEOUT_S} (24 days, the longest a timer holds)`,
    ));

/** The shortest `--reload-interval`, in seconds. */
export const MIN_RELOAD_INTERVAL_S = 0.1;

/**
 * A list flag (spaces, commas or the flag repeated), each entry checked; absent stays undefined. Given but
 * empty (an unset variable: `--allowed-hosts "$HOSTS"`) is refused, as `--trusted-proxies ""` is: it would
 * allow nothing more while seeming to be set. `example` shows what the flag takes.
 */
const listOf = (entry: z.ZodString, example: string) =>
  z.preprocess(
    (v) => v === undefined ? undefined : splitList(v as string | string[]),
    z.array(entry).min(1, `expected at least one, e.g. ${example}`).optional(),
  );
const ORIGIN_MESSAGE =
  "expected origins as browsers send them, scheme://host[:port], e.g. https://dash.example";
/** Whether `value` parses as a URL with an origin (a port in range, a valid host name). */
const isOrigin = (value: string) => URL.canParse(value) && new URL(value).origin !== "null";
const HOST_MESSAGE = "expected host names as clients send them in Host, e.g. candlecast.internal";
/** A `--trusted-proxies` entry, parsed once here: workers get the same text back (`workerArgs`). */
const addressRange = z.string().transform((text, ctx) => {
  const range = parseAddressRange(text);
  if ("problem" in range) {
    ctx.issues.push({ code: "custom", message: range.problem, input: text });
    return z.NEVER;
  }
  return range;
});

export const ServeFlags = z.object({
  host: flag.host(),
  port: flag.port(),
  checkpoint: z.string().min(1, "expected a checkpoint folder"),
  threads: flag.positiveInt(),
  // Each look reads --checkpoint's files: 0.001 s kept a quarter of a core busy doing it. A version is never
  // needed sooner than a tenth of a second after its promotion (and SIGHUP makes serve look at once).
  reloadInterval: flag.number(`a number of seconds ≥ ${MIN_RELOAD_INTERVAL_S}`, (n) =>
    n.min(
      MIN_RELOAD_INTERVAL_S,
      `expected a number of seconds ≥ ${MIN_RELOAD_INTERVAL_S}: each look at --checkpoint costs CPU, and a ` +
        "version is loaded as soon as serve looks (the default 2 s, or at once on SIGHUP: kill -HUP)",
    )),
  maxBatch: flag.positiveInt(),
  predictionsLog: z.union([z.string().min(1, "expected a file path"), z.literal(false)]),
  decision: decisionFlag(),
  // Optional so that callers building options in code (demo) get the defaults below.
  shutdownTimeout: seconds().optional(),
  headerTimeout: seconds().optional(),
  requestTimeout: seconds().optional(),
  keepAliveTimeout: seconds().optional(),
  maxConnections: flag.positiveInt().optional(),
  maxInFlight: flag.positiveInt().optional(),
  workers: flag.positiveInt().optional(),
  rateLimit: flag.positiveNumber("a number of requests per second > 0").optional(),
  rateLimitBurst: flag.positiveInt().optional(),
  rateLimitClients: flag.positiveInt().optional(),
  rateLimitIpv6Prefix: flag.integer("a prefix length 1–128", (n) => n.min(1).max(128)).optional(),
  trustedProxies: z.preprocess(
    (v) => v === undefined ? undefined : splitList(v as string | string[]),
    // None listed (an empty variable, `--trusted-proxies ""`) would trust nothing while seeming to be set.
    z.array(addressRange).min(1, "expected proxy addresses or CIDR ranges, e.g. 127.0.0.1 10.0.0.0/8 ::1")
      .optional(),
  ),
  // Header names are case-insensitive: `--proxy-header X-Forwarded-For` as it is written in a config.
  proxyHeader: z.preprocess(
    (v) => typeof v === "string" ? v.toLowerCase() : v,
    z.enum(PROXY_HEADERS, { message: `expected ${PROXY_HEADERS.join(" or ")}` }).optional(),
  ),
  predictionsLogMaxMb: flag.positiveNumber("a size in MB > 0").optional(),
  predictionsLogKeep: flag.nonNegativeInt().optional(),
  allowedHosts: listOf(
    z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/, HOST_MESSAGE),
    "api.example.com localhost",
  ),
  allowedOrigins: listOf(
    // The shape, then a parse: `https://dash.example:99999` has the shape but no browser could send it.
    z.string().regex(/^https?:\/\/[^/\s]+\/?$/i, ORIGIN_MESSAGE).refine(isOrigin, ORIGIN_MESSAGE),
    "https://dash.example",
  ),
});
export type ServeOptions = z.infer<typeof ServeFlags>;
