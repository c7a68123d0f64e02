/**
 * A failure with an HTTP status and the `{"detail": …}` a client reads (SPEC §4). Anything thrown that is not
 * an HttpError is the server's fault: it is logged in full and answered with a 500 that leaks nothing.
 */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 422 | 429 | 500 | 503,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }
}
