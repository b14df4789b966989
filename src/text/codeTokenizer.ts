import { stemmer } from 'stemmer';

/**
 * Code-aware tokenizer for BM25. Identifiers are indexed whole and by their
 * parts, so `parseConfig`, `parse_config` and `ParseConfig` all meet on
 * `parseconfig`, `parse` and `config`, and a query for one finds the others.
 * Words and identifier parts are stemmed (Porter, the `stemmer` package), so
 * "retrying" meets `retry` and "splits" meets `split`; the whole identifier
 * is kept as written. The same function tokenizes documents (at write time)
 * and queries.
 */

const MIN_LEN = 2;
const MAX_LEN = 64;

/**
 * English glue words, dropped where they stand alone as natural-language
 * words; inside an identifier (`isEmpty`, `toString`) a part is code and stays.
 */
const STOP = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'from', 'has', 'have', 'in', 'into',
  'is', 'it', 'its', 'of', 'on', 'or', 'that', 'the', 'their', 'then', 'there', 'these', 'this',
  'to', 'was', 'were', 'which', 'will', 'with', 'how', 'what', 'when', 'where', 'do', 'does', 'can',
  'i', 'my', 'we', 'our', 'you', 'your', 'so', 'if', 'not', 'no', 'all', 'any', 'each', 'one',
]);

/** Identifier-ish runs: letters, digits, underscores (Unicode letters included). */
const WORD = /[\p{L}\p{N}_]+/gu;
/**
 * Parts of one identifier: a plural ACRONYMs (`URLs`, `IDs`), ACRONYM (before a Capitalised word),
 * Capitalised/lower word, digits, caseless letters.
 */
const PART = /\p{Lu}{2,}s(?!\p{Ll})|\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+|[\p{Lo}\p{Lm}\p{Lt}]+/gu;
const ASCII_WORD = /^[a-z]+$/;

/** Stems of recent words: a corpus repeats its vocabulary, and stemming is most of the tokenizer's cost. */
const stems = new Map<string, string>();
const STEM_CACHE_MAX = 100_000;

export function stem(word: string): string {
  if (word.length <= 3 || !ASCII_WORD.test(word)) return word;
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= STEM_CACHE_MAX) stems.clear();
    s = stemmer(word);
    stems.set(word, s);
  }
  return s;
}

function keep(token: string, out: string[]): void {
  const t = token.length > MAX_LEN ? token.slice(0, MAX_LEN) : token;
  if (t.length >= MIN_LEN) out.push(t);
}

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const [word] of text.matchAll(WORD)) {
    const parts = word.match(PART) ?? [];
    // The whole identifier without underscores, so snake_case meets camelCase.
    const whole = word.replaceAll('_', '').toLowerCase();
    if (parts.length > 1) {
      keep(whole, out);
      for (const p of parts) keep(stem(p.toLowerCase()), out);
    } else if (!STOP.has(whole)) {
      keep(stem(whole), out);
    }
  }
  return out;
}

/** term -> count, over `tokenize(text)`. */
export function termFrequencies(text: string): Record<string, number> {
  const tf = new Map<string, number>();
  for (const t of tokenize(text)) tf.set(t, (tf.get(t) ?? 0) + 1);
  return Object.fromEntries(tf);
}
