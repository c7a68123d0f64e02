/**
 * Terminal columns a text takes: a wide character (Han, kana, Hangul, full-width forms) two, others one. Symbols
 * such as 币安人生USDT (8 code units, 12 columns) shifted aligned rows and made redrawn lines wrap when measured
 * by code units (`padEnd`, `length`).
 *
 * @example
 * ```ts
 * columnsOf("币安人生USDT"); // 12
 * padColumns("ETHBTC", 12); // "ETHBTC      "
 * cutToColumns("币安人生USDT", 5); // "币安" (4 columns: a wide character is never split)
 * ```
 */

/** East Asian Wide and Fullwidth characters, by their blocks (symbols are letters and digits, no emoji). */
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

const width = (c: string): number => WIDE.test(c) ? 2 : 1;

/** Terminal columns `text` takes. */
export function columnsOf(text: string): number {
  let n = 0;
  for (const c of text) n += width(c);
  return n;
}

/** `text` padded with spaces at its end to `columns` terminal columns (as it is when already that wide). */
export function padColumns(text: string, columns: number): string {
  return text + " ".repeat(Math.max(0, columns - columnsOf(text)));
}

/** The longest start of `text` that takes at most `columns` terminal columns, whole characters only. */
export function cutToColumns(text: string, columns: number): string {
  let n = 0, end = 0;
  for (const c of text) {
    n += width(c);
    if (n > columns) break;
    end += c.length;
  }
  return text.slice(0, end);
}
