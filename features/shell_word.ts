/**
 * A path as one POSIX shell word, so a command a hint spells out works when pasted: left as it is when it holds
 * only characters a shell takes literally; else double-quoted when nothing in it is special inside double
 * quotes; else single-quoted (a `'` inside written `'\''`).
 *
 * Double quotes first because hints wrap whole commands in single quotes: a single-quoted word inside one
 * printed `'candlecast models list --checkpoints 'my ck''`, which does not paste as printed, where
 * `'candlecast models list --checkpoints "my ck"'` does.
 *
 * @example
 * shellWord("checkpoints");   // checkpoints
 * shellWord("my ck");         // "my ck"
 * shellWord("it's $HOME");    // 'it'\''s $HOME'
 */
export function shellWord(text: string): string {
  if (/^[\w./-]+$/.test(text)) return text;
  if (/^[^"$`\\!]*$/.test(text)) return `"${text}"`;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
