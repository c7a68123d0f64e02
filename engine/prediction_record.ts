/**
 * One line of `data/predictions.jsonl`: what `serve` answered, written by server/'s prediction log and read
 * back by `candlecast monitor` to join with what the market did. Defined here, below both, so neither has to
 * import the other.
 */
import { z } from "zod";

/**
 * Text a terminal shows as written, 1–255 characters: no control characters (escape sequences) and no bidi
 * embeddings, overrides or isolates (text shown in another order than stored). Joiners and directional marks
 * stay: Persian writes its zero-width non-joiner, Hebrew names carry a right-to-left mark (all of \p{C} refused
 * them, a review).
 */
export const PRINTABLE = /^[^\p{Cc}\u202A-\u202E\u2066-\u2069]{1,255}$/u;

/**
 * A folder name and nothing else: no '/' or '\\', never "." or ".."; `PRINTABLE` otherwise (a hand-made
 * version's name with spaces, accents or Persian's joiners is one too).
 */
const VERSION_SEGMENT = /^(?!\.\.?$)[^/\\\p{Cc}\u202A-\u202E\u2066-\u2069]{1,255}$/u;

/**
 * A UTC time as serve writes it (`toISOString`, seconds and fraction optional): monitor cuts its first ten
 * characters as the day and compares the times, so "banana" made a table row "banana v1_…" and, as NaN, took
 * the served version's last week (and its warning) away.
 */
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?Z$/;

/** A probability as serve writes it: a softmax's, so 0 … 1; monitor took 1e308 and printed a log-loss of −157. */
const probability = z.number().min(0).max(1);

/** One line of predictions.jsonl; the log's reader parses every line through it. */
export const PredictionRecordSchema = z.object({
  /** When the prediction was served (ISO 8601, UTC). */
  // A date that exists: Date.parse rolls 2026-11-31 into December 1 and reads T24:00 as the next day, and the
  // per-day table then printed a row "2026-11-31" (a docs seat).
  // (A rolled-over date changes the day of the month; V8 gives NaN for any other field out of range. Cheaper
  // than a round trip through toISOString, which cost a 1 GB log ~6 s more to read.)
  time: z.string().regex(UTC_TIME, "not a UTC time").refine((t) => {
    const ms = Date.parse(t);
    return Number.isFinite(ms) && new Date(ms).getUTCDate() === Number(t.slice(8, 10));
  }, "not a date"),
  symbol: z.string(),
  /** Open time (ms) of the last candle sent, when the client sent `openTime`; else null. */
  last_candle_time: z.number().nullable(),
  last_close: z.number(),
  // A version's folder name, one plain path segment: monitor prints it and looks for it in --checkpoints,
  // where a forged line's "../../etc" or escape sequences went as they were.
  version: z.string().regex(VERSION_SEGMENT, "not a version folder's name"),
  /**
   * When that version was created (its manifest's created_at): version names repeat across stores and after a
   * rebuild, so monitor checks it before comparing the predictions with a version's test scores. Absent in
   * logs written before it.
   */
  version_created_at: z.string().regex(PRINTABLE).optional(),
  prediction: z.enum(["DOWN", "SIDEWAYS", "UP"]),
  // Summing to 1 within a float32 softmax's rounding and more, so a hand-rounded line (0.33, 0.33, 0.33) reads.
  probabilities: z.object({ down: probability, sideways: probability, up: probability })
    .refine((p) => Math.abs(p.down + p.sideways + p.up - 1) <= 0.02, "probabilities that do not sum to 1"),
  expected_return: z.number(),
});
export type PredictionRecord = z.infer<typeof PredictionRecordSchema>;
