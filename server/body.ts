/**
 * Reads a request body as JSON under a byte limit that holds while reading: a missing or false
 * Content-Length, or a chunked upload, cannot make the server buffer more than the limit.
 */
import { HttpError } from "./errors.ts";
import { parseJsonText } from "../base/index.ts";

/**
 * Status of a request line whose body broke off and got no answer: the connection closed (the client went
 * away, or shutdown cut it) before the whole body arrived, so nothing was sent. nginx's "client closed
 * request"; never sent on the wire.
 */
export const CLOSED_MID_BODY = 499;

/** Requests whose body broke off in the listener (`markBodyBrokenOff`), and the status the client really got. */
const brokenOff = new WeakMap<Request, number>();

/**
 * Records that `request`'s body broke off before it arrived whole, and what the client got for it: 408 (the
 * listener answered the read timeout itself) or `CLOSED_MID_BODY` (nothing). Whatever the app answers then
 * goes nowhere, so the app logs and counts this status instead (`bodyBrokenOff`): its own answer, a 400 for a
 * body that "ended early", was never sent.
 */
export function markBodyBrokenOff(request: Request, status: number): void {
  brokenOff.set(request, status);
}

/** The status the client got when `request`'s body broke off, or undefined when it did not. */
export function bodyBrokenOff(request: Request): number | undefined {
  return brokenOff.get(request);
}

/** When the listener began each request (`markArrival`), on `performance.now()`'s clock. */
const arrivals = new WeakMap<Request, number>();

/**
 * Records when the listener began `request`: it reads a small body whole before the app is called, so a
 * request that spent 4 s uploading (and was cut with a 408) measured from the app's start logged 1 ms.
 */
export function markArrival(request: Request, at: number): void {
  arrivals.set(request, at);
}

/** When the listener began `request`, or undefined for one that did not come through it (app.request()). */
export function arrivalOf(request: Request): number | undefined {
  return arrivals.get(request);
}

/** SPEC §4: bodies over 1 MiB are refused with 413. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `body: larger than the ${limit}-byte limit; send fewer candles or requests`);
}

/**
 * Most JSON objects and arrays a body may hold. A request has about one per candle, and a candle takes at least
 * 132 bytes (its twelve quoted names alone take 92), so no request under the 1 MiB limit reaches 8,000 (a batch
 * adds two per item, at most 1,000 items). A body of `[[[…]]]` or `[{},{},…]` holds half a million: parsed, each
 * built ~30 MB of objects, and the 64 requests a worker handles at once took it past 2 GiB.
 */
export const MAX_JSON_CONTAINERS = 20_000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * Whether `bytes` hold more than `max` `{` and `[`. Those inside strings are counted too: only a symbol could
 * hold one, so an honest body is not brought near the limit. A body of at most `max` bytes cannot pass it and
 * is not scanned: the scan costs about a quarter of the parse (14 µs against 51 for a 19 kB /predict).
 */
function overContainers(bytes: Uint8Array, max: number): boolean {
  if (bytes.byteLength <= max) return false;
  let count = 0;
  for (const open of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let at = bytes.indexOf(open); at >= 0; at = bytes.indexOf(open, at + 1)) {
      if (++count > max) return true;
    }
  }
  return false;
}

/** JSON media types: application/json and application/*+json, any parameters (charset) allowed. */
function isJsonMediaType(contentType: string): boolean {
  const media = contentType.split(";", 1)[0].trim().toLowerCase();
  return media === "application/json" || (media.startsWith("application/") && media.endsWith("+json"));
}

/**
 * Each `charset` a Content-Type names, as sent and without quotes (`charset="UTF-8"` is UTF-8); none when it
 * names none.
 */
function declaredCharsets(contentType: string): string[] {
  return contentType.split(";").slice(1).flatMap((parameter) => {
    const eq = parameter.indexOf("=");
    if (eq < 0 || parameter.slice(0, eq).trim().toLowerCase() !== "charset") return [];
    return [parameter.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1").trim()];
  });
}

async function readLimited(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        // The client went away (or the server is being torn down) mid-upload: not a server fault.
        throw new HttpError(400, "body: the connection ended before the whole body arrived");
      }
      const { done, value } = chunk;
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * A body whose Content-Length is declared (and within the limit): the HTTP framing stops the read at that
 * length, so it is read in one go instead of through `readLimited`'s JavaScript read loop (~30 µs less per
 * /predict in process, bench:serve-stages "body read"; more behind the listener, bench:serve). The size is
 * checked again because an in-process Request (tests, `app.request`) is not held to its header.
 */
async function readDeclared(request: Request, limit: number): Promise<Uint8Array> {
  let buffer: ArrayBuffer;
  try {
    buffer = await request.arrayBuffer();
  } catch {
    throw new HttpError(400, "body: the connection ended before the whole body arrived");
  }
  if (buffer.byteLength > limit) throw tooLarge(limit);
  return new Uint8Array(buffer);
}

/**
 * The parsed JSON value of a request body. 415 for a non-JSON Content-Type (a missing one is read as JSON, as
 * the seed's server did), a charset other than UTF-8 (or its subset US-ASCII), or a compressed body (Content-Encoding), 413 over `limit` bytes or
 * `MAX_JSON_CONTAINERS` objects and arrays, 400 for an empty body, bad UTF-8 or malformed JSON.
 */
export async function readJsonBody(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const contentType = request.headers.get("content-type");
  if (contentType !== null && !isJsonMediaType(contentType)) {
    throw new HttpError(415, `Content-Type must be application/json, got "${contentType.slice(0, 100)}"`);
  }
  // The body is read as UTF-8 whatever the header says (RFC 8259 §8.1: JSON between systems is UTF-8): a
  // body declared latin1 or utf-16 was decoded as UTF-8 without a word, its "é" a 400 for bad UTF-8 or, in a
  // symbol, another string than the one sent. Refused as the compressed body below is: the body is in an
  // encoding the server does not take. charset=utf-8 (any case, utf8 too) and no charset are read as before,
  // and so is US-ASCII, whose bytes are UTF-8's: C#'s StringContent(json, Encoding.ASCII, "application/json")
  // sends "charset=us-ascii", and was refused for an encoding the server reads.
  const charset = contentType === null
    ? undefined
    : declaredCharsets(contentType).find((c) => !/^(utf-?8|us-ascii|ascii)$/i.test(c));
  if (charset !== undefined) {
    throw new HttpError(
      415,
      `Content-Type charset "${charset.slice(0, 100)}" is not supported: send the JSON body as UTF-8 ` +
        "(charset=utf-8, or no charset)",
    );
  }
  // Nothing decompresses a request body: a gzipped one reached the JSON parser as its raw bytes and was
  // answered "not valid UTF-8" (400), which sends a client looking for a text-encoding bug. RFC 9110 §15.5.16
  // gives 415 for a content coding the server does not take.
  const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
    throw new HttpError(
      415,
      `Content-Encoding "${encoding.slice(0, 100)}" is not supported: send the JSON body uncompressed`,
    );
  }
  // node:http undoes `chunked` alone: a body sent `Transfer-Encoding: gzip, chunked` reached the parser
  // compressed and was answered "not valid UTF-8" (a security review). 415, as for Content-Encoding: the
  // statuses SPEC §4 documents (RFC 9112 §6.1 would allow 501).
  const codings = request.headers.get("transfer-encoding")?.split(",").map((c) => c.trim().toLowerCase());
  const coding = codings?.find((c) => c !== "" && c !== "chunked" && c !== "identity");
  if (coding !== undefined) {
    throw new HttpError(
      415,
      `Transfer-Encoding "${coding.slice(0, 100)}" is not supported: send the JSON body uncompressed ` +
        "(chunked alone, or a Content-Length)",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  if (request.body === null) throw new HttpError(400, "body: empty; expected a JSON object");
  const bytes = Number.isSafeInteger(declared) && declared >= 0
    ? await readDeclared(request, limit)
    : await readLimited(request.body, limit);
  if (bytes.byteLength === 0) throw new HttpError(400, "body: empty; expected a JSON object");
  if (overContainers(bytes, MAX_JSON_CONTAINERS)) {
    throw new HttpError(
      413,
      `body: more than ${MAX_JSON_CONTAINERS} JSON objects and arrays (a request has about one per candle); ` +
        "send fewer candles or requests",
    );
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new HttpError(400, "body: not valid UTF-8");
  }
  try {
    return parseJsonText(text);
  } catch (error) {
    throw new HttpError(400, `body: malformed JSON (${(error as Error).message})`);
  }
}
