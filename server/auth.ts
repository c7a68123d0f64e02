/**
 * Optional bearer-key auth (CANDLECAST_API_KEY). Keys are compared as SHA-256 digests with a constant-time
 * comparison, so neither the key's content nor its length leaks through response timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="candlecast"' };

/** Requires `Authorization: Bearer <apiKey>` on every path except `open` ones. */
export function bearerAuth(apiKey: string, open: ReadonlySet<string>): MiddlewareHandler {
  const expected = digest(apiKey);
  return (c, next) => {
    if (open.has(c.req.path)) return next();
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (match === null) {
      throw new HttpError(
        401,
        "missing bearer key: send 'Authorization: Bearer <CANDLECAST_API_KEY>'",
        CHALLENGE,
      );
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new HttpError(401, "wrong bearer key", CHALLENGE);
    }
    return next();
  };
}
