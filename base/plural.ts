/** "1 symbol", "2 symbols", "1,488 rows": a count with its noun in the right number, for every message. */
export function plural(n: number, noun: string, nounPlural = `${noun}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : nounPlural}`;
}
