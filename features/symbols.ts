/**
 * What a symbol may be, wherever one enters (serve's requests, a C# export collect reads): one word, bounded.
 * Served, logged and written to the training CSV as given, a symbol with a space (" BTCUSDT ", padded by a
 * fixed-width formatter) or a control character ("BTC\nUSDT") matches no other source's spelling, so monitor
 * could never join the two; a newline also split the training CSV's row, and an escape sequence reached the
 * terminal of whoever printed it. A leading =, +, - or @ makes a spreadsheet read the cell as a formula
 * (evaluate's predictions.csv, the training CSV), which `=HYPERLINK(…)` turned into a link out. Case is left to the caller (serve
 * keeps it, monitor joins "btcusdt" with collect's "BTCUSDT"; collect upper-cases, with upperSymbol).
 *
 * @example
 * ```ts
 * SYMBOL_PATTERN.test("BTC/USDT"); // true: another exchange's spelling is still one word
 * SYMBOL_PATTERN.test("BTC USDT"); // false
 * SYMBOL_PATTERN.test("=HYPERLINK(…)"); // false: a spreadsheet opening predictions.csv would run it
 * ```
 */
export const SYMBOL_PATTERN = /^(?![=+\-@])[^\s\p{C}]+$/u;

/** Symbols are echoed in responses and logs, so they are bounded; Binance's longest is far shorter. */
export const MAX_SYMBOL_LENGTH = 64;

/** The words every symbol check says when SYMBOL_PATTERN fails. */
export const SYMBOL_RULE =
  "must be one word, without spaces or control characters, not starting with =, +, - or @ (like BTCUSDT)";

/**
 * A symbol as collect writes it: upper case, Binance's spelling. A C# bot on a Turkish-culture host that
 * upper-cases with `String.ToUpper()` turns "linkusdt" into "LİNKUSDT" (dotted capital İ, U+0130), which
 * JavaScript's toUpperCase leaves as it is: no exchange spells a symbol so, so İ is read as the I it meant
 * (dotless ı already upper-cases to I).
 */
export function upperSymbol(symbol: string): string {
  return symbol.toUpperCase().replace(/\u0130/g, "I");
}

/**
 * A key lower-cased for matching in any case, Turkish casing included: a .NET host on tr-TR lower-cases
 * "RSI" to "rsı" (dotless ı, U+0131) and upper-cases "MacdSign" to "MACDSİGN" (İ, whose JavaScript lower case
 * is "i" plus a combining dot). Both are read as plain i, as the key's author meant.
 */
export function lowerKey(key: string): string {
  return key.replace(/\u0130/g, "I").toLowerCase().replace(/\u0131/g, "i");
}
