/**
 * Requests a web page makes, refused: the API's client is a trading bot, never a browser, yet any page the trader
 * opens can reach a server on 127.0.0.1. Two ways, both closed here:
 * - a cross-site POST: `fetch("http://127.0.0.1:8000/predict", {method: "POST", mode: "no-cors", body})` is a
 *   "simple" request that no preflight stops; it would run the model and add a line to the predictions log that
 *   `monitor` judges the model by. Browsers send `Origin` with every POST and every cross-origin fetch; an HTTP
 *   client like the bot's (.NET HttpClient, curl) sends none. So a request with an `Origin` is refused unless
 *   that origin was allowed.
 * - DNS rebinding: a page at evil.example whose name is made to resolve to 127.0.0.1 then reads the API as its
 *   own origin, and a same-origin GET carries no `Origin`; its `Host` is evil.example. A server listening on a
 *   loopback address answers only to loopback names and IP addresses, as Jupyter and Vite's dev server do.
 *
 * A page whose origin the operator allowed gets CORS answers: a browser hands a cross-origin page an answer
 * only with `Access-Control-Allow-Origin`, and sends its JSON POST (or a bearer key) only after an `OPTIONS`
 * preflight that says yes; without them an allowed dashboard passed this guard and still saw every call fail.
 */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";

export interface BrowserGuard {
  /** Origins (`scheme://host[:port]`) whose pages may call the API: none by default. */
  readonly allowedOrigins: readonly string[];
  /**
   * Host names (no port) the server answers to besides the loopback ones; "any": no `Host` check (a server
   * listening beyond loopback, where DNS rebinding to it gains a page nothing its own network does not).
   */
  readonly allowedHosts: readonly string[] | "any";
}

/** The rule for a server listening on `host` with the operator's lists (`--allowed-hosts`, `--allowed-origins`). */
export function browserGuardFor(
  host: string,
  allowedHosts: readonly string[] | undefined,
  allowedOrigins: readonly string[] | undefined,
): BrowserGuard {
  return {
    allowedOrigins: (allowedOrigins ?? []).map(normalOrigin),
    // Given, the list applies on any address; not given, only a loopback listener checks (its names only).
    allowedHosts: allowedHosts !== undefined ? allowedHosts.map(hostName) : isLoopbackName(host) ? [] : "any",
  };
}

/** `localhost` (and names under `.localhost`), 127.0.0.0/8 and ::1, bracketed or not. */
export function isLoopbackName(name: string): boolean {
  const h = name.toLowerCase().replace(/^\[|\]$/g, "").replace(/^::ffff:(?=\d)/, "");
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || h === "0:0:0:0:0:0:0:1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * An IPv4 address or a bracketed IPv6 one, as `hostName` gives them. Always answered, as Vite's dev server
 * does: DNS rebinding needs a name a page's own DNS can point elsewhere, and an address is not one (a page at
 * an address is another origin, so its requests carry an `Origin`). A bot set up with the machine's LAN
 * address, or with `http://0.0.0.0:8000` (which reaches 127.0.0.1 on Linux), keeps working.
 */
export function isAddress(name: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) || /^\[[0-9a-f:.]+(%[^\]]*)?\]$/i.test(name);
}

/**
 * The name in a `Host` header, without its port: `[::1]:8000` → `[::1]`, `Example.com:80` → `example.com`,
 * and without the root's dot: `localhost.:8000` (curl, a browser given that URL) is the same name as
 * `localhost`, and no page can send it but one the trader opened there.
 */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(":");
  return (colon < 0 ? h : h.slice(0, colon)).replace(/(?<=[^.])\.$/, "");
}

/**
 * An origin as browsers send it (`URL.origin`): lower case, no trailing slash, no default port, a non-ASCII name
 * in punycode; so `https://dash.example:443/` is the `https://dash.example` a browser sends. Not a URL (`null`,
 * sent by sandboxed frames and file: pages): itself, lower case.
 */
export function normalOrigin(origin: string): string {
  const text = origin.trim();
  try {
    const parsed = new URL(text);
    if (parsed.origin !== "null") return parsed.origin;
  } catch {
    // not a URL: compared as written
  }
  return text.toLowerCase().replace(/\/+$/, "");
}

/** What a preflight from an allowed page is told: the API's methods and the headers a call may carry. */
const PREFLIGHT: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Methods": "GET, HEAD, POST",
  // Content-Type for the JSON body, Authorization for a bearer key (CANDLECAST_API_KEY).
  "Access-Control-Allow-Headers": "Content-Type, Authorization",
  "Access-Control-Max-Age": "600",
};

/**
 * Refuses (403, SPEC §4's `{"detail"}`) a request whose `Origin` is not allowed, or, unless `allowedHosts` is
 * "any", whose `Host` names neither a loopback name nor an allowed host. A request without `Host` (HTTP/1.0)
 * passes: a browser always sends one. An allowed origin's preflight is answered here (204, before auth: a
 * preflight never carries the key), and its other answers, errors included, name it as allowed.
 */
export function browserGuard(guard: BrowserGuard): MiddlewareHandler {
  const origins = new Set(guard.allowedOrigins);
  const hosts = guard.allowedHosts === "any" ? null : new Set(guard.allowedHosts);
  // What the refusal says is answered: on 0.0.0.0 Host is checked only when --allowed-hosts is given, so "a
  // loopback address" is not always why. The operator's names are not echoed to whoever sent the request.
  const answered = "localhost and IP addresses" +
    (guard.allowedHosts !== "any" && guard.allowedHosts.length > 0
      ? " and the names in --allowed-hosts"
      : "");
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !origins.has(normalOrigin(origin))) {
      throw new HttpError(
        403,
        `requests from web pages are refused (Origin: ${
          origin.slice(0, 200)
        }): this API serves the trading ` +
          "bot, and a page the trader opens could otherwise call it; " +
          // "null" is what a file:// page or a sandboxed frame sends: no origin, so none that could be listed.
          (normalOrigin(origin) === "null"
            ? "a page opened from a file or in a sandboxed frame has no origin to allow: serve it over http(s)"
            : "to let a page call it, start serve with --allowed-origins <that origin>"),
      );
    }
    const host = c.req.header("host");
    if (hosts !== null && host !== undefined) {
      const name = hostName(host);
      if (!isLoopbackName(name) && !isAddress(name) && !hosts.has(name)) {
        throw new HttpError(
          403,
          // Quoted: an empty Host (which HTTP/1.1 allows only for targets without one) reads as "".
          `Host ${JSON.stringify(host.slice(0, 200))} is not a name this server answers to (${answered}): ` +
            "another name is how a web page reaches it by DNS rebinding; to answer to it (a proxy that passes " +
            "its own Host on, clients that call this machine by that name), add it to --allowed-hosts",
        );
      }
    }
    if (origin === undefined) return await next();
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      const headers: Record<string, string> = {
        "Access-Control-Allow-Origin": origin,
        Vary: "Origin",
        ...PREFLIGHT,
      };
      // Chrome asks before a public page may call a private address (127.0.0.1): the operator said yes.
      if (c.req.header("access-control-request-private-network") === "true") {
        headers["Access-Control-Allow-Private-Network"] = "true";
      }
      return new Response(null, { status: 204, headers });
    }
    await next();
    c.res.headers.set("Access-Control-Allow-Origin", origin);
    c.res.headers.append("Vary", "Origin");
    // The page may read Retry-After on a 503 (a browser shows it only the safelisted headers otherwise).
    c.res.headers.set("Access-Control-Expose-Headers", "Retry-After");
  };
}
