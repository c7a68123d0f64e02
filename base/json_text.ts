/**
 * JSON text as the programs that feed candlecast write it: strict JSON, plus the bare non-finite numbers some
 * writers emit where a number goes, parsed as those numbers so the schema that reads them refuses (or, for an
 * indicator's warm-up, accepts) each by name instead of the whole text failing as malformed. serve's bodies,
 * `predict --input` and collect's C# exports read through it.
 */
/**
 * The non-finite numbers some JSON writers put bare where a number goes, and the number each names: Python's
 * `json.dumps` (its default `allow_nan`) and Newtonsoft.Json's `FloatFormatHandling.Symbol` write NaN,
 * Infinity, -Infinity; .NET's DataContractJsonSerializer, which the shipped C# client uses (docs/csharp), INF
 * and -INF (a C# integrator's trial: one infinite MACD made the whole batch a 400 "malformed JSON"). Longest
 * first: `-Infinity` before `Infinity`.
 */
const NON_FINITE_VALUES: Readonly<Record<string, number>> = {
  "-Infinity": -Infinity,
  Infinity: Infinity,
  "-INF": -Infinity,
  INF: Infinity,
  NaN: NaN,
};
const NON_FINITE_TOKENS = Object.keys(NON_FINITE_VALUES);

/**
 * What a bare token is quoted as, then revived from: a string no body holds (a random part per process), so a
 * bare NaN becomes the number NaN again and is refused as such by every field, a string field included (a plain
 * "NaN" would pass as a symbol).
 */
const NON_FINITE_MARK = `non-finite ${crypto.randomUUID()} `;

/**
 * `text` with every bare NaN, Infinity, -Infinity, INF and -INF outside strings written as a marked JSON string, or null
 * when it has none. Outside strings, strict JSON has no other use for these letters.
 */
function quoteNonFiniteTokens(text: string): string | null {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (c !== "-" && c !== "I" && c !== "N") continue;
    const token = NON_FINITE_TOKENS.find((t) => text.startsWith(t, i));
    if (token === undefined) continue;
    out += `${text.slice(from, i)}"${NON_FINITE_MARK}${token}"`;
    i += token.length - 1;
    from = i + 1;
  }
  return from === 0 ? null : out + text.slice(from);
}

/**
 * JSON.parse, except that a body which is JSON but for bare NaN/Infinity values (SPEC §4 lists them among the
 * invalid fields, a 422 naming the field, not malformed JSON) parses with those values as the numbers they
 * name, which the request schema then refuses by name. Anything else malformed throws JSON.parse's own error.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const quoted = quoteNonFiniteTokens(text);
    if (quoted !== null) {
      try {
        return JSON.parse(quoted, (key, value: unknown) => {
          // A bare token where a key goes ({NaN: 1}) is malformed JSON still: the first error says where.
          if (key.startsWith(NON_FINITE_MARK)) throw error;
          return typeof value === "string" && value.startsWith(NON_FINITE_MARK)
            ? NON_FINITE_VALUES[value.slice(NON_FINITE_MARK.length)]
            : value;
        });
      } catch {
        // Malformed besides: the first error says where.
      }
    }
    throw error;
  }
}
