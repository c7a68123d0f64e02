/**
 * A request's body as `listen` hands it to the app: bytes when small and declared (the common /predict), else a
 * web stream with backpressure, and in both cases safe against clients that stop mid-body or send more than
 * the app reads.
 */
import type http from "node:http";

const BODYLESS = new Set(["GET", "HEAD"]);

/**
 * Bodies up to this size with a Content-Length (a /predict is ~16 kB) are collected here and handed to the app
 * as bytes: converting the request to a web stream (`bodyStream`) costs more than the rest of reading it
 * (measured in bench/RESULTS.md). Node reads no more than the declared length, so memory stays bounded; larger
 * and chunked bodies are streamed, and the app's limit applies while it reads them.
 */
const SMALL_BODY_BYTES = 64 * 1024;

/**
 * A small declared body, whole; rejects when the connection ends (or is cut) before all of it arrived. A
 * connection that closes after the last byte (`req.complete`) but before the stream's "end" still delivers
 * the body: it did arrive, and is answered if the socket takes it.
 */
function readSmallBody(req: http.IncomingMessage, length: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    // One buffer of the declared length, each chunk copied in: kept as a list, every chunk cost ~550 bytes
    // whatever its size, so a body sent a byte a segment held ~75 MiB for 0.1 MiB sent, and with uploads no
    // longer held to --max-in-flight, up to --max-connections of them could (a review).
    const whole = new Uint8Array(length);
    let received = 0;
    let settled = false;
    const settle = (error: Error) => {
      if (settled) return; // "close" follows "end"
      settled = true;
      if (received !== length || !req.complete) reject(error);
      else resolve(whole);
    };
    req.on("data", (chunk: Buffer) => {
      // Node reads no more than the declared length; past it, the body is short of nothing and is refused.
      if (received + chunk.byteLength > length) received = length + 1;
      else {
        whole.set(chunk, received);
        received += chunk.byteLength;
      }
    });
    req.once("end", () => settle(new Error("the body ended early"))); // rejects only when short
    req.once("error", settle);
    req.once("close", () => settle(new Error("the connection closed mid-body")));
  });
}

/**
 * A large or chunked body as a web stream, with backpressure. Written here rather than with `Readable.toWeb`:
 * Deno's adapter enqueues every later chunk into a stream the app has already cancelled (server/body.ts
 * stops reading past its limit), which throws out of an event handler and ends the process (bench:serve's
 * malformed phase ended the server that way in 2 of 3 runs, 2026-12-01). Here chunks after the end, an error
 * or a cancel are dropped, and a cancelled body is read on to its end and discarded, so the answer (413) still
 * goes out on a connection in a known state. `beforeFirstRead` is called once, when the app first reads.
 */
function bodyStream(
  req: http.IncomingMessage,
  brokeOff: () => void,
  beforeFirstRead?: () => void,
): StreamedBody {
  let open = true;
  let first = beforeFirstRead;
  // A cancelled or unread body: later chunks are dropped, and the request flows on to its end.
  const abandon = () => {
    open = false;
    req.resume();
  };
  const finish = (end: () => void) => {
    if (!open) return;
    open = false;
    end();
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk)); // a copy: the chunk's buffer is not ours to keep
        if ((controller.desiredSize ?? 1) <= 0) req.pause();
      });
      req.once("end", () => finish(() => controller.close()));
      req.once("error", (error) =>
        finish(() => {
          brokeOff();
          controller.error(error);
        }));
      req.once("close", () =>
        finish(() => {
          brokeOff();
          controller.error(new Error("the connection closed mid-body"));
        }));
    },
    pull() {
      if (first !== undefined) {
        const call = first;
        first = undefined;
        call();
      }
      req.resume();
    },
    cancel: abandon,
    // With `beforeFirstRead` nothing is read ahead: a queue to fill would pull at once, before anyone reads.
  }, { highWaterMark: beforeFirstRead === undefined ? 4 : 0 });
  return { stream, abandon };
}

/**
 * A streamed body and how to let go of it: when the app answers without reading the body to its end (a 413
 * on a declared Content-Length, a 415, a 401), the rest must still be read and dropped. Left paused, such a
 * connection kept its socket and buffers until the read timeout: 150 refused 1.9 MB uploads grew the process
 * by ~45 MiB, and after ~450 of them new connections went unanswered (2026-12-01, a probe of bench:serve's
 * "huge arrays" kind).
 */
interface StreamedBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly abandon: () => void;
}

/**
 * The request body as the app reads it: bytes when small and declared, else a stream with `abandon` for when
 * the app answers without reading it to the end. `brokeOff` is called when the connection ends before the
 * whole body arrived, before the app can see the failure.
 *
 * `sendContinue` is for a request with `Expect: 100-continue`, whose client waits for `100 Continue` before it
 * sends the body: it is called when the app first reads the body, and never when the app answers without
 * reading it (a 413 on its Content-Length, 401, 415, 403, 429, 404, 405), so a refused body is not uploaded.
 * Such a body is always a stream, even a small one: reading it whole here, before the app runs, would ask
 * for every body.
 */
export async function requestBody(
  req: http.IncomingMessage,
  method: string,
  brokeOff: () => void,
  sendContinue?: () => void,
): Promise<{ readonly init: BodyInit | null; readonly abandon?: () => void }> {
  if (BODYLESS.has(method)) return { init: null };
  if (sendContinue !== undefined) {
    const { stream, abandon } = bodyStream(req, brokeOff, sendContinue);
    return { init: stream, abandon };
  }
  const declared = Number(req.headers["content-length"]);
  if (
    req.headers["transfer-encoding"] === undefined && Number.isSafeInteger(declared) &&
    declared <= SMALL_BODY_BYTES
  ) {
    try {
      return { init: await readSmallBody(req, declared) };
    } catch (error) {
      brokeOff(); // the app logs what the client got (a 408, or nothing) and answers nothing
      return { init: new ReadableStream<Uint8Array>({ start: (controller) => controller.error(error) }) };
    }
  }
  const { stream, abandon } = bodyStream(req, brokeOff);
  return { init: stream, abandon };
}
