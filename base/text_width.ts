/**
 * Terminal columns a text takes: a wide character (Han, kana, Hangul, full-width forms) or an emoji two, a
 * combining mark none, others one. Symbols such as 币安人生USDT (8 code units, 12 columns) shifted aligned rows
 * and made redrawn lines wrap when measured by code units (`padEnd`, `length`).
 *
 * @example
 * ```ts
 * columnsOf("币安人生USDT"); // 12
 * columnsOf("🚀USDT"); // 6
 * padColumns("ETHBTC", 12); // "ETHBTC      "
 * cutToColumns("币安人生USDT", 5); // "币安" (4 columns: a wide character is never split)
 * ```
 */

/** East Asian Wide and Fullwidth characters, by their blocks. */
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uA960-\uA97F\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

/**
 * Characters drawn on the one before them or not at all: non-spacing and enclosing marks (a combining acute,
 * the variation selectors), format characters (a zero-width joiner or space, bidi marks), other default
 * ignorables, and a Hangul syllable's vowel and final consonant jamo (U+1160–U+11FF, U+D7B0–U+D7FF: a syllable
 * typed on macOS, NFD, is its wide initial consonant and these). Counted one each, 한 in NFD was three columns
 * for the terminal's two. Spacing marks (Mc, a Devanagari vowel sign) do take a column.
 */
const ZERO = /[\p{Mn}\p{Me}\p{Cf}\p{Default_Ignorable_Code_Point}\u1160-\u11FF\uD7B0-\uD7FF]/u;

/**
 * An emoji drawn as one by default (🚀, U+1F680; a flag's regional indicators), rather than as text (©, ☺, a
 * digit); one of the text kind is drawn as an emoji when an emoji variation selector (U+FE0F) follows it (❤️,
 * a keycap 1️⃣). Either takes two columns.
 */
const EMOJI_DEFAULT = /^\p{Emoji_Presentation}/u;
const EMOJI_ANY = /^\p{Emoji}/u;
const EMOJI_SELECTOR = "\uFE0F";

/** Text that is printable ASCII only: one column a character, measured without segmenting. */
const PLAIN = /^[\x20-\x7E]*$/;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Columns of one character (code point) on its own. */
const charWidth = (c: string): number => ZERO.test(c) ? 0 : WIDE.test(c) || EMOJI_DEFAULT.test(c) ? 2 : 1;

/**
 * Columns of one grapheme (a character with the marks drawn on it, a flag, an emoji sequence): an emoji two
 * (by code points, a flag's two regional indicators were four and a family joined by U+200D six), anything
 * else its characters' sum (a base and its marks, a syllable's jamo).
 */
function graphemeWidth(g: string): number {
  if (EMOJI_DEFAULT.test(g) || (g.includes(EMOJI_SELECTOR) && EMOJI_ANY.test(g))) return 2;
  let n = 0;
  for (const c of g) n += charWidth(c);
  return n;
}

/** Terminal columns `text` takes. */
export function columnsOf(text: string): number {
  if (PLAIN.test(text)) return text.length;
  let n = 0;
  for (const { segment } of graphemes.segment(text)) n += graphemeWidth(segment);
  return n;
}

/** `text` padded with spaces at its end to `columns` terminal columns (as it is when already that wide). */
export function padColumns(text: string, columns: number): string {
  return text + " ".repeat(Math.max(0, columns - columnsOf(text)));
}

/**
 * The longest start of `text` that takes at most `columns` terminal columns, whole graphemes only: a character
 * is never parted from the marks drawn on it (a cut between them left a bare letter, é as e), nor a surrogate
 * pair, a flag or an emoji sequence split.
 */
export function cutToColumns(text: string, columns: number): string {
  if (PLAIN.test(text)) return text.slice(0, Math.max(0, columns));
  let n = 0, end = 0;
  for (const { segment } of graphemes.segment(text)) {
    n += graphemeWidth(segment);
    if (n > columns) break;
    end += segment.length;
  }
  return text.slice(0, end);
}
