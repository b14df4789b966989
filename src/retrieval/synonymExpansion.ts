import { openWordNet, type WordNet } from '../text/wordnet.js';
import { tokenize } from '../text/codeTokenizer.js';

/** Extra BM25 terms for a query, each with its weight (the query's own terms count 1). */
export type TermExpansion = (query: string) => ReadonlyMap<string, number>;

export interface SynonymExpansionOptions {
  /** weight of a synonym's term against 1 for the query's own */
  weight: number;
  /** senses per part of speech (WordNet orders them by frequency) */
  senses: number;
  /** the WordNet to read (opened on first use when not given) */
  wordnet?: WordNet;
}

/**
 * Query expansion with WordNet synonyms of the query's plain English words
 * (identifiers are left alone: a name means what the code says, not what a
 * thesaurus says), at a low weight, so "halt" still reaches code that says
 * `stop` but never outranks a match on the user's own words.
 */
export function createSynonymExpansion(opts: SynonymExpansionOptions): TermExpansion {
  let wordnet = opts.wordnet;
  return (query) => {
    wordnet ??= openWordNet();
    const own = new Set(tokenize(query));
    const out = new Map<string, number>();
    for (const [word] of query.matchAll(/[A-Za-z]+/g)) {
      if (!/^[a-z]+$/.test(word) || !own.size) continue; // plain lowercase words only: `retryIf`, `HTTP` are code
      for (const synonym of wordnet.synonyms(word, opts.senses)) {
        for (const term of tokenize(synonym)) if (!own.has(term) && !out.has(term)) out.set(term, opts.weight);
      }
    }
    return out;
  };
}
