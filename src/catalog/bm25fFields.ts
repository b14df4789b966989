/**
 * The fields BM25F scores a chunk over, each with its own weight and length
 * normalisation (Robertson & Zaragoza's BM25F: a term's frequencies are
 * normalised per field, weighted, summed, then saturated once with k1).
 * A definition's name, its definition line and its doc comment say what it
 * *is*; the body mostly says what it *uses*, so a function whose name and doc
 * match a query outranks a test that only calls it.
 *
 * `column` is the Parquet column holding the field's term -> count map.
 * Short fields (names, paths) get little length normalisation: a longer
 * qualified name is not weaker evidence.
 */
export interface Bm25Field {
  column: string;
  weight: number;
  /** BM25's b for this field: 0 = no length normalisation, 1 = full */
  b: number;
}

export const BM25F_FIELDS: readonly Bm25Field[] = [
  { column: 'terms', weight: 1, b: 0.75 }, // body: the chunk's text
  { column: 'symbol_terms', weight: 3, b: 0.3 }, // symbol and qualified names
  { column: 'signature_terms', weight: 2, b: 0.3 }, // the definition lines
  { column: 'doc_terms', weight: 2, b: 0.5 }, // doc comments and docstrings
  { column: 'path_terms', weight: 1, b: 0.3 },
  // the first paragraph of each doc comment (src/chunking/docSummary.ts), on top of the whole doc's weight:
  // bench:quality MRR 0.531 → 0.546 at 2 (1: 0.542, 4: 0.551 but typescript 0.496 → 0.462); appended, as a field's
  // position is its id in the postings
  { column: 'summary_terms', weight: 2, b: 0.3 },
];

/**
 * The fields that name and summarise a definition: its symbol, its definition
 * lines and its doc's summary. A query's synonyms are matched here only
 * (src/retrieval/synonymExpansion.ts): a synonym that names a definition or
 * opens its doc is evidence, one met in running text (a body, a long doc) is
 * mostly noise (bench:quality: synonyms on every field cost recall, on these
 * fields they gain).
 */
export const HEAD_FIELDS: readonly string[] = ['symbol_terms', 'signature_terms', 'summary_terms'];

/**
 * BM25's saturation, applied once to the weighted sum of the fields' tfs. The
 * weights above make that sum several times a plain tf, so k1 sits above
 * plain BM25's usual 1.2 (BM25F is tuned with its weights; bench:quality:
 * 1.2 → 0.828/0.509, 2.0 → 0.828/0.524, 2.5 → 0.834/0.531, 3.0 → 0.828/0.528).
 */
export const BM25_K1 = 2.5;

/**
 * The power the idf is raised to in each posting's impact. Plain BM25's idf
 * lets one rare word decide: a question's words are all chosen to describe
 * what it asks for, yet a chunk that holds a single rare one (a word used
 * once in some other definition's doc) outranks the definition that says
 * several of them in its name, signature and doc. Below 1 the idf still
 * orders the words, but less steeply (bench:quality, R@10 / MRR: 1 →
 * 0.834/0.546, 0.8 → 0.847/0.555, 0.7 → 0.847/0.554, 0.6 → 0.847/0.554,
 * 0.5 → 0.854/0.553 but C 0.818 → 0.773).
 */
export const BM25_IDF_EXPONENT = 0.8;
