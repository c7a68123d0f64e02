/**
 * A minimal HTTP/1.1 keep-alive client over raw TCP for the serve bench: `fetch` costs more CPU per request
 * than the server does, and on two cores the load generator must not be what is measured. It also sends
 * bytes `fetch` refuses to (truncated bodies, odd framing), which the malformed-request phase needs.
 */
const encoder = new TextEncoder();
const HEADER_END = encoder.encode("\r\n\r\n");

export interface RawResponse {
  readonly status: number;
  /** The server asked to close the connection (or closed it). */
  readonly closed: boolean;
  readonly body: Uint8Array;
}

/** The bytes of one request; Content-Length is set from the body unless `headers` sets framing itself. */
export function rawRequest(
  method: string,
  path: string,
  body: Uint8Array | null = null,
  headers: Record<string, string> = {},
): Uint8Array {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1"];
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (body !== null && !has("content-length") && !has("transfer-encoding")) {
    lines.push(`Content-Length: ${body.byteLength}`);
  }
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const head = encoder.encode(lines.join("\r\n") + "\r\n\r\n");
  if (body === null) return head;
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head);
  out.set(body, head.byteLength);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export class HttpConnection {
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  private constructor(readonly conn: Deno.TcpConn) {
    this.#reader = conn.readable.getReader();
  }

  static async open(hostname: string, port: number): Promise<HttpConnection> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new HttpConnection(conn);
  }

  async #fill(): Promise<boolean> {
    const { done, value } = await this.#reader.read();
    if (done) return false;
    if (this.#length + value.byteLength > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + value.byteLength));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(value, this.#length);
    this.#length += value.byteLength;
    return true;
  }

  /** Writes one request and reads its response; throws if the connection ends first. */
  async send(request: Uint8Array): Promise<RawResponse> {
    const writing = this.#writeAll(request);
    let headerEnd = -1;
    while ((headerEnd = indexOf(this.#buffer.subarray(0, this.#length), HEADER_END)) < 0) {
      if (!(await this.#fill())) throw new Error("connection closed before a response");
    }
    const head = new TextDecoder().decode(this.#buffer.subarray(0, headerEnd)).toLowerCase();
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    const chunked = /\r\ntransfer-encoding:\s*chunked/.test(head);
    let bodyStart = headerEnd + 4, bodyEnd: number;
    if (length) {
      bodyEnd = bodyStart + Number(length[1]);
      while (this.#length < bodyEnd) if (!(await this.#fill())) throw new Error("connection closed mid-body");
    } else if (chunked) {
      const terminator = encoder.encode("0\r\n\r\n");
      let end: number;
      while ((end = indexOf(this.#buffer.subarray(0, this.#length), terminator, bodyStart)) < 0) {
        if (!(await this.#fill())) throw new Error("connection closed mid-body");
      }
      bodyEnd = end + terminator.length;
    } else {
      bodyEnd = bodyStart;
    }
    const body = this.#buffer.slice(bodyStart, bodyEnd);
    this.#buffer.copyWithin(0, bodyEnd, this.#length);
    this.#length -= bodyEnd;
    bodyStart = 0;
    // A server answering early (413) may stop reading; a failed write then is expected, not an error.
    await writing.catch(() => {});
    return { status, closed: /\r\nconnection:\s*close/.test(head), body };
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.byteLength) written += await this.conn.write(bytes.subarray(written));
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed by the server
    }
  }
}
