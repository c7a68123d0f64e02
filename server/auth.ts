/**
 * Optional bearer-key auth (CANDLECAST_API_KEY). Keys are compared as SHA-256 digests with a constant-time
 * comparison, so neither the key's content nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";
import { plural } from "../base/index.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="candlecast"' };

/**
 * Why a key can never be sent as a bearer token (`Authorization: Bearer <key>` carries one run of non-space
 * characters), or null when it can. A key with a space, tab or newline in it, even at an end (a stray newline
 * from a secrets file), would switch auth on and then refuse every client. So would any character outside
 * visible ASCII: node:http reads header bytes as Latin-1, so a Cyrillic or accented key never matches what a
 * client sends, and a control character makes the client's header invalid (a security review).
 */
export function apiKeyProblem(apiKey: string): string | null {
  const at = apiKey.search(/\s/);
  if (at >= 0) {
    const what = /^[ \t]$/.test(apiKey[at]) ? "a space or tab" : "a line break or other white space";
    return `CANDLECAST_API_KEY contains ${what} (at character ${at + 1} of ${apiKey.length}), so no ` +
      "'Authorization: Bearer <key>' header can match it";
  }
  const other = apiKey.search(/[^\x21-\x7e]/);
  if (other < 0) return null;
  return `CANDLECAST_API_KEY contains a character outside visible ASCII (at character ${other + 1} of ` +
    `${apiKey.length}), which no 'Authorization: Bearer <key>' header can carry as it is; use letters, ` +
    "digits and punctuation (openssl rand -hex 32 makes one)";
}

/** Shorter keys can be guessed: 16 characters, as `openssl rand -hex 8` makes, are the least serve keeps quiet at. */
export const MIN_KEY_LENGTH = 16;

/** Placeholders candlecast's pages once showed in examples, and their kin: a command copied as it stood served with one. */
const EXAMPLE_KEYS = new Set(["s3cret", "change-me", "k3y", "secret", "changeme"]);

/**
 * Why `apiKey` is easy to guess, or null: a common placeholder (EXAMPLE_KEYS), or under MIN_KEY_LENGTH
 * characters. serve warns at start rather than refusing: a short key on 127.0.0.1 is a reasonable trial, and a
 * refusal would break a deployment that upgrades. The key itself is never quoted.
 */
export function weakKeyProblem(apiKey: string): string | null {
  if (EXAMPLE_KEYS.has(apiKey.toLowerCase())) {
    return "CANDLECAST_API_KEY is a common placeholder key, not a secret";
  }
  if (apiKey.length < MIN_KEY_LENGTH) {
    return `CANDLECAST_API_KEY is ${plural(apiKey.length, "character")} long, short enough to guess`;
  }
  return null;
}

/**
 * Whether serving on `host` without a key opens the API beyond this machine: any address but loopback
 * (`0.0.0.0`, `::`, a LAN address, a host name that is not localhost). serve then warns at start, since the
 * bot's host is often reachable from elsewhere and nothing else would say so but `"auth": false`.
 */
export function exposedWithoutKey(host: string, apiKey: string | undefined): boolean {
  if (apiKey !== undefined) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/^::ffff:(?=\d)/, "");
  return !(h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" || /^127\.\d+\.\d+\.\d+$/.test(h));
}

const SEND = "send 'Authorization: Bearer <CANDLECAST_API_KEY>'";

/** HTTP authentication schemes (IANA's registry, and the ones APIs commonly invent), lower-cased. */
const KNOWN_SCHEMES = new Set([
  "basic",
  "digest",
  "hoba",
  "mutual",
  "negotiate",
  "ntlm",
  "oauth",
  "scram-sha-1",
  "scram-sha-256",
  "vapid",
  "aws4-hmac-sha256",
  "token",
  "apikey",
  "api-key",
  "key",
]);

/**
 * Why an Authorization header that is absent or not `Bearer <key>` was refused. A header that is there but
 * wrongly formed (the key alone, `Basic` from a `user:key` URL, `Token <key>`) was answered "missing bearer
 * key", which sent the bot's developer looking for a header the client did send. Only a scheme is named,
 * never the rest: it may be the key, and the detail is logged on the client's side.
 */
function unusableHeader(header: string | undefined): string {
  if (header === undefined || header.trim() === "") return `missing bearer key: ${SEND}`;
  // Only HTTP's blanks (space, tab) part the words: trim() also takes a pasted key's trailing U+00A0 away.
  const words = header.replace(/^[ \t]+|[ \t]+$/g, "").split(/[ \t]+/);
  if (/^bearer$/i.test(words[0])) {
    if (words.length === 1) return `Authorization: Bearer without a key: ${SEND}`;
    // Two Authorization headers reach the app joined by ", " (both right or not): "got 3 words" sent the
    // developer looking for spaces in the key (a security seat).
    if (/,[ \t]*bearer[ \t]/i.test(header)) {
      return `Authorization holds more than one Bearer key (two Authorization headers?): send one, ${SEND}`;
    }
    // A key followed by a non-breaking space (a key pasted from a document) was "got 1 words". Only the
    // character's code is named, never the key.
    const odd = asSent(words.slice(1).join("")).match(/[^\x21-\x7e]/u)?.[0];
    if (words.length === 2 && odd !== undefined) {
      const code = `U+${odd.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
      return `Authorization: Bearer's key holds ${code}, which no key has (pasted with it?): ${SEND}`;
    }
    return `Authorization: Bearer takes one key, with no spaces in it (got ${
      words.length - 1
    } words): ${SEND}`;
  }
  // .NET's `new AuthenticationHeaderValue(key, "Bearer")` sends "<key> Bearer": the first word is the key.
  if (words.length === 2 && /^bearer$/i.test(words[1])) {
    return `Authorization header has Bearer second, after the key (AuthenticationHeaderValue's arguments ` +
      `swapped?): ${SEND}`;
  }
  // Only a scheme HTTP knows is named: the detail is logged (serve's access log) as well as answered, and a
  // first word of any other shape may be the key itself (a key of hex digits starting with a letter was).
  const scheme = words.length > 1 && KNOWN_SCHEMES.has(words[0].toLowerCase()) ? ` ${words[0]}` : "";
  return words.length > 1
    ? `Authorization header uses the${scheme || " wrong"} scheme, not Bearer: ${SEND}`
    : `Authorization header holds no scheme (the key alone?): ${SEND}`;
}

/**
 * A header value as the client wrote it: node:http reads header bytes as Latin-1, so a UTF-8 client's U+00A0
 * (bytes C2 A0) arrives as "Â\u00a0" and was named U+00C2 (a docs seat). Read again as UTF-8 where the bytes
 * are UTF-8; as they came otherwise.
 */
function asSent(value: string): string {
  if ([...value].some((c) => c.charCodeAt(0) > 0xff)) return value;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(value, (c) => c.charCodeAt(0)));
  } catch {
    return value;
  }
}

/** The key of an `Authorization: Bearer <key>` header (scheme in any case); null for any other header or none. */
function bearerKey(header: string | null | undefined): string | null {
  return header == null ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] ?? null;
}

/**
 * Whether a request carries `apiKey` as its bearer key (compared as `bearerAuth` compares it, in constant
 * time): what lets /metrics pass the rate limiter, so a scraper beside a limited bot still reads its counters
 * while a wrong key there is charged like any other request.
 */
export function holdsKey(apiKey: string): (request: Request) => boolean {
  const expected = digest(apiKey);
  return (request) => {
    const key = bearerKey(request.headers.get("authorization"));
    return key !== null && timingSafeEqual(digest(key), expected);
  };
}

/** Requires `Authorization: Bearer <apiKey>` on every path except `open` ones. */
export function bearerAuth(apiKey: string, open: ReadonlySet<string>): MiddlewareHandler {
  const expected = digest(apiKey);
  return (c, next) => {
    if (open.has(c.req.path)) return next();
    const header = c.req.header("authorization");
    const key = bearerKey(header);
    if (key === null) throw new HttpError(401, unusableHeader(header), CHALLENGE);
    if (!timingSafeEqual(digest(key), expected)) {
      throw new HttpError(401, "wrong bearer key", CHALLENGE);
    }
    return next();
  };
}
