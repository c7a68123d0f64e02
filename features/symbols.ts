/**
 * What a symbol may be, wherever one enters (serve's requests, a C# export collect reads): one word, bounded.
 * Served, logged and written to the training CSV as given, a symbol with a space (" BTCUSDT ", padded by a
 * fixed-width formatter) or a control character ("BTC\nUSDT") matches no other source's spelling, so monitor
 * could never join the two; a newline also split the training CSV's row. Case is left to the caller (serve
 * keeps it, monitor joins "btcusdt" with collect's "BTCUSDT"; collect upper-cases).
 *
 * @example
 * ```ts
 * SYMBOL_PATTERN.test("BTC/USDT"); // true: another exchange's spelling is still one word
 * SYMBOL_PATTERN.test("BTC USDT"); // false
 * ```
 */
export const SYMBOL_PATTERN = /^[^\s\p{C}]+$/u;

/** Symbols are echoed in responses and logs, so they are bounded; Binance's longest is far shorter. */
export const MAX_SYMBOL_LENGTH = 64;

/** The words every symbol check says when SYMBOL_PATTERN fails. */
export const SYMBOL_RULE = "must be one word, without spaces or control characters (like BTCUSDT)";
