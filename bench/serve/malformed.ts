/**
 * Malformed requests for the serve bench's robustness phase, generated from valid /predict bodies with a
 * seeded generator (same seed, same requests): random truncation, wrong types, NaN/Infinity strings, huge
 * arrays, deep nesting, wrong content types, plus bad encodings, methods, paths and framing. None of them may
 * get a 5xx.
 */
import { REQUEST_FIELDS } from "../../server/index.ts";
import { rawRequest } from "./http_client.ts";

export interface Malformed {
  readonly kind: string;
  readonly bytes: Uint8Array;
  /** Sent on a connection of its own: the server may close it after answering (early 413, odd framing). */
  readonly ownConnection: boolean;
}

const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const post = (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  rawRequest("POST", path, body, { "Content-Type": "application/json", ...headers });

/** xorshift32: small, fast and reproducible. */
export function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

type Body = { symbol: string; candles: Record<string, unknown>[] };
const FIELDS = Object.values(REQUEST_FIELDS);
const WRONG_VALUES: unknown[] = ["x", "", null, true, false, {}, [], [1], { value: 1 }, "1e5", "-1", 1e309];
const NAN_STRINGS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "1/0"];

/** Yields them one at a time: some are megabytes, and 5,000 held at once would be gigabytes. */
export function* malformedRequests(bodies: readonly Body[], count: number, seed = 7): Generator<Malformed> {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const clone = (): Body => structuredClone(pick(bodies));
  const kinds: (() => Malformed)[] = [
    () => { // random truncation, honest framing
      const bytes = json(clone());
      return {
        kind: "truncated JSON",
        bytes: post("/predict", bytes.slice(0, Math.floor(random() * bytes.length))),
        ownConnection: false,
      };
    },
    () => { // a wrong type somewhere
      const body = clone() as unknown as Record<string, unknown>;
      const where = random();
      if (where < 0.1) body.symbol = pick(WRONG_VALUES.filter((v) => typeof v !== "string")); // any string is a symbol
      else if (where < 0.2) body.candles = pick(WRONG_VALUES);
      else (body as unknown as Body).candles[Math.floor(random() * 50)][pick(FIELDS)] = pick(WRONG_VALUES);
      return { kind: "wrong types", bytes: post("/predict", json(body)), ownConnection: false };
    },
    () => { // NaN and Infinity as strings, or as bare tokens (not JSON at all)
      const body = clone();
      const i = Math.floor(random() * 50), field = pick(FIELDS);
      if (random() < 0.7) {
        body.candles[i][field] = pick(NAN_STRINGS);
        return { kind: "NaN strings", bytes: post("/predict", json(body)), ownConnection: false };
      }
      body.candles[i][field] = 123456789;
      const text = JSON.stringify(body).replace("123456789", pick(["NaN", "Infinity", "-Infinity"]));
      return { kind: "NaN strings", bytes: post("/predict", encoder.encode(text)), ownConnection: false };
    },
    () => { // huge arrays: under the limit (bounded before validation) and over it (413)
      const r = random();
      if (r < 0.4) {
        const n = 100_000 + Math.floor(random() * 300_000);
        const text = `{"symbol":"BTCUSDT","candles":[${"0,".repeat(n)}0]}`;
        return { kind: "huge arrays", bytes: post("/predict", encoder.encode(text)), ownConnection: true };
      }
      if (r < 0.6) {
        const text = `{"requests":[${"0,".repeat(200_000)}0]}`;
        return {
          kind: "huge arrays",
          bytes: post("/predict/batch", encoder.encode(text)),
          ownConnection: true,
        };
      }
      if (r < 0.8) {
        const candle = JSON.stringify(pick(bodies).candles[0]);
        const text = `{"symbol":"BTCUSDT","candles":[${(candle + ",").repeat(6_000)}${candle}]}`;
        return { kind: "huge arrays", bytes: post("/predict", encoder.encode(text)), ownConnection: true };
      }
      // Over the limit without a Content-Length: chunked, refused while reading.
      const chunk = encoder.encode("[" + "1,".repeat(65_536));
      const parts: Uint8Array[] = [];
      for (let k = 0; k < 20; k++) {
        parts.push(encoder.encode(chunk.length.toString(16) + "\r\n"), chunk, encoder.encode("\r\n"));
      }
      parts.push(encoder.encode("0\r\n\r\n"));
      const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (body.set(p, at), at + p.length), 0);
      return {
        kind: "huge arrays",
        bytes: rawRequest("POST", "/predict", body, {
          "Content-Type": "application/json",
          "Transfer-Encoding": "chunked",
        }),
        ownConnection: true,
      };
    },
    () => { // deep nesting, in the body or inside a field
      const depth = 1_000 + Math.floor(random() * 100_000);
      const r = random();
      const text = r < 0.3
        ? "[".repeat(depth) + "]".repeat(depth)
        : r < 0.6
        ? `{"symbol":"BTCUSDT","candles":[${"[".repeat(depth)}${"]".repeat(depth)}]}`
        : `{"symbol":${'{"a":'.repeat(depth)}1${"}".repeat(depth)},"candles":[]}`;
      const path = random() < 0.8 ? "/predict" : "/predict/batch";
      return { kind: "deep nesting", bytes: post(path, encoder.encode(text)), ownConnection: false };
    },
    () => { // wrong content type
      const type = pick([
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "image/png",
        "application/jsonx",
        "json",
      ]);
      return {
        kind: "wrong content type",
        bytes: rawRequest("POST", "/predict", json(clone()), { "Content-Type": type }),
        ownConnection: false,
      };
    },
    () => { // everything else a confused or hostile client sends
      const r = random();
      if (r < 0.15) {
        return {
          kind: "other",
          bytes: post("/predict", new Uint8Array([0x7b, 0xc3, 0x28, 0xff, 0x7d])),
          ownConnection: false,
        };
      }
      if (r < 0.3) return { kind: "other", bytes: post("/predict", new Uint8Array(0)), ownConnection: false };
      if (r < 0.4) return { kind: "other", bytes: rawRequest("GET", "/predict"), ownConnection: false };
      if (r < 0.5) return { kind: "other", bytes: rawRequest("DELETE", "/model/info"), ownConnection: false };
      if (r < 0.6) {
        return {
          kind: "other",
          bytes: rawRequest("GET", `/${"x".repeat(Math.floor(random() * 2000))}`),
          ownConnection: false,
        };
      }
      if (r < 0.7) {
        const items = [clone(), 0, null, "x", { symbol: 1 }, { candles: [] }].sort(() => random() - 0.5);
        return {
          kind: "other",
          bytes: post("/predict/batch", json({ requests: items })),
          ownConnection: false,
        };
      }
      if (r < 0.8) {
        return {
          kind: "other",
          bytes: post("/predict", json({ symbol: "X".repeat(10_000), candles: clone().candles })),
          ownConnection: false,
        };
      }
      if (r < 0.9) {
        // A Content-Length far over the limit: refused before a byte of the body is read.
        return {
          kind: "other",
          bytes: rawRequest("POST", "/predict", encoder.encode("{}"), {
            "Content-Type": "application/json",
            "Content-Length": "10737418240",
          }),
          ownConnection: true,
        };
      }
      const body = clone();
      body.candles[Math.floor(random() * 50)].high = -5;
      return { kind: "other", bytes: post("/predict", json(body)), ownConnection: false };
    },
  ];
  for (let i = 0; i < count; i++) yield kinds[i % kinds.length]();
}
