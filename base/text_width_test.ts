import assert from "node:assert/strict";
import { columnsOf, cutToColumns, padColumns } from "./text_width.ts";

Deno.test("text width: wide characters take two columns, others one; padding and cuts keep characters whole", () => {
  assert.equal(columnsOf("BTCUSDT"), 7);
  assert.equal(columnsOf("币安人生USDT"), 12);
  assert.equal(columnsOf("비트USDT"), 8);
  assert.equal(columnsOf("𠀀A"), 3, "an astral Han character is one character of two columns");
  assert.equal(padColumns("ETHBTC", 12), "ETHBTC      ");
  assert.equal(padColumns("币安人生USDT", 10), "币安人生USDT", "never cut");
  assert.equal(cutToColumns("币安人生USDT", 5), "币安");
  assert.equal(cutToColumns("币安人生USDT", 9), "币安人生U");
  assert.equal(cutToColumns("𠀀𠀀", 3), "𠀀", "a surrogate pair is never split");
  assert.equal(cutToColumns("abc", 10), "abc");
});

Deno.test("text width: emoji take two columns, combining marks and a syllable's jamo none; a cut keeps graphemes whole", () => {
  // Before: every code point counted one, so 🚀USDT (a C# export's or --symbol's symbol) was 5 columns for the
  // terminal's 6, 한 typed on macOS (NFD: ᄒ, ᅡ, ᆫ) 4 for its 2, and é in NFD 2 for its 1.
  assert.equal(columnsOf("🚀USDT"), 6);
  assert.equal(columnsOf("BTC🚀"), 5);
  assert.equal(columnsOf("한USDT".normalize("NFD")), 6);
  assert.equal(columnsOf("한USDT".normalize("NFD")), columnsOf("한USDT"));
  assert.equal(columnsOf("e\u0301"), 1, "a combining acute is drawn on its letter");
  assert.equal(columnsOf("A\u200bB"), 2, "a zero-width space");
  // A flag (two regional indicators), a family joined by U+200D and a skin tone are one emoji each.
  assert.equal(columnsOf("🇯🇵"), 2);
  assert.equal(columnsOf("👨‍👩‍👧"), 2);
  assert.equal(columnsOf("👍🏽"), 2);
  // A text-style symbol is one column, unless U+FE0F asks for the emoji (❤️, a keycap).
  assert.equal(columnsOf("©"), 1);
  assert.equal(columnsOf("\u2764"), 1);
  assert.equal(columnsOf("\u2764\uFE0F"), 2);
  assert.equal(columnsOf("1\uFE0F\u20E3"), 2);
  assert.equal(columnsOf("7"), 1);
  // Spacing marks (Devanagari's vowel sign AA) do take a column.
  assert.equal(columnsOf("\u0915\u093E"), 2);
  assert.equal(padColumns("🚀USDT", 8), "🚀USDT  ");

  assert.equal(cutToColumns("🚀USDT", 1), "", "an emoji is never half drawn");
  assert.equal(cutToColumns("🚀USDT", 3), "🚀U");
  // Before: a cut by code points parted a letter from its mark (é became e) and a syllable's jamo (한 as 하).
  assert.equal(cutToColumns("Ae\u0301B", 2), "Ae\u0301");
  assert.equal(cutToColumns("한국".normalize("NFD"), 2), "한".normalize("NFD"));
  assert.equal(cutToColumns("한국".normalize("NFD"), 3), "한".normalize("NFD"));
  assert.equal(cutToColumns("🇯🇵🇰🇷", 3), "🇯🇵", "a flag's two halves stay together");
  assert.equal(cutToColumns("👨‍👩‍👧x", 2), "👨‍👩‍👧");
  assert.equal(cutToColumns("BTCUSDT", 3), "BTC");
  assert.equal(cutToColumns("BTCUSDT", 0), "");
});
