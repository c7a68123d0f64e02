/**
 * The serve benches' flags: `--name value` pairs read from `Deno.args`, each with its default.
 *
 * @example
 * ```ts
 * const seconds = Number(argument("seconds", "10")); // `--seconds 4` → "4"
 * ```
 */
export function argument(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}
