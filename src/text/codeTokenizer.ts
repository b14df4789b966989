/**
 * Code-aware tokenizer for BM25. Identifiers are indexed whole and by their
 * parts, so `parseConfig`, `parse_config` and `ParseConfig` all meet on
 * `parseconfig`, `parse` and `config`, and a query for one finds the others.
 * The same function tokenizes documents (at write time) and queries.
 */

const MIN_LEN = 2;
const MAX_LEN = 64;

/** English glue words; code keywords stay, they are often what users search for. */
const STOP = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'from', 'has', 'have', 'in', 'into',
  'is', 'it', 'its', 'of', 'on', 'or', 'that', 'the', 'their', 'then', 'there', 'these', 'this',
  'to', 'was', 'were', 'which', 'will', 'with',
]);

/** Identifier-ish runs: letters, digits, underscores (Unicode letters included). */
const WORD = /[\p{L}\p{N}_]+/gu;
/** Parts of one identifier: ACRONYM (before a Capitalised word), Capitalised/lower word, digits, caseless letters. */
const PART = /\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+|[\p{Lo}\p{Lm}\p{Lt}]+/gu;

function keep(token: string, out: string[]): void {
  const t = token.length > MAX_LEN ? token.slice(0, MAX_LEN) : token;
  if (t.length >= MIN_LEN && !STOP.has(t)) out.push(t);
}

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const [word] of text.matchAll(WORD)) {
    const parts = word.match(PART) ?? [];
    // The whole identifier without underscores, so snake_case meets camelCase.
    const whole = word.replaceAll('_', '').toLowerCase();
    keep(whole, out);
    if (parts.length > 1) for (const p of parts) keep(p.toLowerCase(), out);
  }
  return out;
}

/** term -> count, over `tokenize(text)`. */
export function termFrequencies(text: string): Record<string, number> {
  const tf = new Map<string, number>();
  for (const t of tokenize(text)) tf.set(t, (tf.get(t) ?? 0) + 1);
  return Object.fromEntries(tf);
}
