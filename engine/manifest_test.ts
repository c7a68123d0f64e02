import assert from "node:assert/strict";
import { ManifestBaseSchema } from "./manifest.ts";

const manifest = (fields: Record<string, unknown>) => ({
  version: "v1_2026-01-01",
  created_at: "2026-01-01T00:00:00.000Z",
  ...fields,
});

Deno.test("a manifest's interval is a name a version records, else unknown (null)", () => {
  const interval = (value: unknown) => ManifestBaseSchema.parse(manifest({ interval: value })).interval;
  // Binance's names, the steps intervalOf names where Binance has none, and the old spellings versions keep.
  for (
    const name of ["1m", "1h", "4h", "1d", "1w", "1M", "45m", "2d", "90s", "90000ms", "30d", "28d", "31d"]
  ) {
    assert.equal(interval(name), name);
  }
  // Before: "banana" was taken as the interval, so serve answered every request with open times 422 "trained
  // on banana candles" and predict told the user to fix the request file.
  for (const junk of ["banana", "", "1H", "0h", "h", "1 h", "2M", "1y"]) {
    assert.equal(interval(junk), null, junk);
  }
  assert.equal(interval(42), null);
  assert.equal(interval(null), null);
  assert.equal(ManifestBaseSchema.parse(manifest({})).interval, undefined);
});

Deno.test("a manifest's version and created_at with control characters are refused, not printed raw", () => {
  // Before: `models list` wrote a hand-edited created_at's ESC sequence to the terminal as it was.
  for (const field of ["version", "created_at"]) {
    for (const bad of ["\u001b[31m2026-01-01", "2026-01-01\n", "", "x".repeat(256), "v1\u202e2v"]) {
      const parsed = ManifestBaseSchema.safeParse(manifest({ [field]: bad }));
      assert.ok(!parsed.success, `${field} ${JSON.stringify(bad)} was taken`);
      assert.deepEqual(parsed.error.issues[0].path, [field]);
      assert.match(parsed.error.issues[0].message, /without control characters/);
    }
  }
  // A hand-made version's name or time in another form, with spaces or accents, still reads.
  assert.ok(
    ManifestBaseSchema.safeParse(manifest({ version: "mon modèle 1", created_at: "1 Jan 2026" })).success,
  );
  // So does Persian's zero-width non-joiner (all of \p{C} refused it, a review).
  assert.ok(ManifestBaseSchema.safeParse(manifest({ version: "مدل\u200cمن" })).success);
});
