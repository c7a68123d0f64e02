/**
 * A path as one POSIX shell word, so a command a hint spells out works when pasted: left as it is when it holds
 * only characters a shell takes literally, otherwise single-quoted (a `'` inside written `'\''`).
 */
export function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
