import { createHash } from 'node:crypto';
import type { Chunk, FileRole } from '../contracts/chunk.js';
import { classifyFile } from '../repo/fileRole.js';
import type { SearchFilters } from '../contracts/search.js';
import type { SparseVector } from '../contracts/sparse.js';
import { literalDirectory, luceneRegexp, parsePathGlob } from '../pathFilter/index.js';

/**
 * Pure OpenSearch request bodies: index settings and mappings, bulk NDJSON,
 * and the bm25 / splade / hybrid query bodies. Nothing here talks to a
 * server, so every body is checked by unit tests.
 */

export const SPLADE_FIELD = 'splade_terms';

// ---------------------------------------------------------------- rank_features names

/** Characters a feature name keeps as-is; everything else is escaped. */
const SAFE_FEATURE_CHAR = /[A-Za-z0-9-]/;

/**
 * Feature names become `splade_terms.<name>` in queries, and OpenSearch splits
 * that at the LAST dot and rejects dots in rank_features keys. So every char
 * outside [A-Za-z0-9-] is written as `_<hex code point>_` (e.g. "##ing" ->
 * "_23__23_ing", "a.b" -> "a_2e_b"). `_` itself is escaped, so the mapping is
 * injective and reversible; the sink and the query side share this function.
 */
export function sanitizeFeatureName(term: string): string {
  let out = '';
  for (const ch of term) {
    out += SAFE_FEATURE_CHAR.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16)}_`;
  }
  return out;
}

/** Inverse of sanitizeFeatureName. */
export function restoreFeatureName(name: string): string {
  return name.replace(/_([0-9a-f]{1,6})_/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)));
}

// Lucene's FeatureField stores a positive normal float32: smaller or larger values are rejected.
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
const FLOAT32_MAX = 3.4028234663852886e38;

export const isUsableWeight = (w: number): boolean =>
  typeof w === 'number' && Number.isFinite(w) && w >= FLOAT32_MIN_NORMAL && w <= FLOAT32_MAX;

/** SPLADE terms -> rank_features object: names sanitised, unusable weights dropped. */
export function toRankFeatures(vector: SparseVector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [term, weight] of Object.entries(vector)) {
    if (term === '' || !isUsableWeight(weight)) continue;
    out[sanitizeFeatureName(term)] = weight;
  }
  return out;
}

// ---------------------------------------------------------------- index definition

export const CODE_INDEX_ANALYZER = 'code_index';
export const CODE_SEARCH_ANALYZER = 'code_search';

/**
 * Settings + mappings for the chunk index. Identifiers are split on case and
 * digit changes (getHTTPResponse2 -> get, http, response, 2) while the
 * original token is kept. word_delimiter_graph with preserve_original emits a
 * token graph, which indexing cannot store, so the index analyzer flattens it
 * and the search analyzer keeps the graph.
 */
export function buildIndexBody(): { settings: Record<string, unknown>; mappings: Record<string, unknown> } {
  const splitter = {
    type: 'word_delimiter_graph',
    split_on_case_change: true,
    split_on_numerics: true,
    preserve_original: true,
    generate_word_parts: true,
    generate_number_parts: true,
    stem_english_possessive: false,
  };
  return {
    settings: {
      analysis: {
        tokenizer: {
          // identifiers, digits and underscores stay together; the filter splits them
          code_tokens: { type: 'pattern', pattern: '[^\\p{L}\\p{N}_]+' },
          path_tree: { type: 'path_hierarchy', delimiter: '/' },
        },
        filter: { code_split: splitter },
        analyzer: {
          [CODE_INDEX_ANALYZER]: { type: 'custom', tokenizer: 'code_tokens', filter: ['code_split', 'flatten_graph', 'lowercase'] },
          [CODE_SEARCH_ANALYZER]: { type: 'custom', tokenizer: 'code_tokens', filter: ['code_split', 'lowercase'] },
          path_tree: { type: 'custom', tokenizer: 'path_tree' },
        },
      },
    },
    mappings: {
      dynamic: 'strict',
      properties: {
        chunk_id: { type: 'keyword' },
        repo: { type: 'keyword' },
        run_id: { type: 'keyword' },
        path: {
          type: 'keyword',
          fields: {
            // "src/a/b.ts" -> src, src/a, src/a/b.ts: cheap "dir/**" filters
            tree: { type: 'text', analyzer: 'path_tree', search_analyzer: 'keyword' },
            // path words take part in bm25
            text: { type: 'text', analyzer: CODE_INDEX_ANALYZER, search_analyzer: CODE_SEARCH_ANALYZER },
          },
        },
        language: { type: 'keyword' },
        role: { type: 'keyword' },
        start_line: { type: 'integer' },
        end_line: { type: 'integer' },
        symbols: { type: 'text', analyzer: CODE_INDEX_ANALYZER, search_analyzer: CODE_SEARCH_ANALYZER },
        content: { type: 'text', analyzer: CODE_INDEX_ANALYZER, search_analyzer: CODE_SEARCH_ANALYZER },
        [SPLADE_FIELD]: { type: 'rank_features' },
      },
    },
  };
}

/** Problems with an existing index's mapping that would break writes or queries (empty = fine). */
export function checkIndexMapping(mappings: unknown): string[] {
  const props = (mappings as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {};
  const want: Record<string, string> = {
    chunk_id: 'keyword',
    repo: 'keyword',
    path: 'keyword',
    language: 'keyword',
    content: 'text',
    [SPLADE_FIELD]: 'rank_features',
  };
  const problems: string[] = [];
  for (const [field, type] of Object.entries(want)) {
    const actual = props[field]?.type ?? (props[field] ? 'object' : 'missing');
    if (actual !== type) problems.push(`${field} is ${actual}, expected ${type}`);
  }
  return problems;
}

// ---------------------------------------------------------------- documents and bulk bodies

const MAX_ID_BYTES = 512;

/**
 * Chunk ids hash path+text only, so two repos holding the same file share an
 * id; the document id is scoped by repo so one repo never overwrites or
 * deletes another's chunk. Over-long repo names are hashed to fit `_id`.
 */
export function docId(repo: string, chunkId: string): string {
  const id = `${repo}:${chunkId}`;
  if (Buffer.byteLength(id) <= MAX_ID_BYTES) return id;
  return `${createHash('sha256').update(repo).digest('hex')}:${chunkId}`;
}

export interface ChunkDocument {
  chunk_id: string;
  repo: string;
  run_id: string;
  path: string;
  language: string;
  /** the file's role (source, test, docs, ...): filters.roles selects on it */
  role: FileRole;
  start_line: number;
  end_line: number;
  symbols: string[];
  content: string;
  splade_terms?: Record<string, number>;
}

export function buildChunkDocument(repo: string, runId: string, chunk: Chunk, sparse?: SparseVector): ChunkDocument {
  const doc: ChunkDocument = {
    chunk_id: chunk.id,
    repo,
    run_id: runId,
    path: chunk.path,
    language: chunk.language,
    role: chunk.role ?? classifyFile(chunk.path, chunk.text),
    start_line: chunk.startLine,
    end_line: chunk.endLine,
    symbols: chunk.symbols,
    content: chunk.text,
  };
  if (sparse) {
    const features = toRankFeatures(sparse);
    if (Object.keys(features).length > 0) doc.splade_terms = features;
  }
  return doc;
}

/** One bulk operation as its NDJSON lines (action line, and source line for index). */
export interface BulkOperation {
  id: string;
  ndjson: string;
  bytes: number;
}

function op(id: string, ndjson: string): BulkOperation {
  return { id, ndjson, bytes: Buffer.byteLength(ndjson) };
}

export function bulkIndexOperation(index: string, id: string, doc: object): BulkOperation {
  return op(id, `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`);
}

export function bulkDeleteOperation(index: string, id: string): BulkOperation {
  return op(id, `${JSON.stringify({ delete: { _index: index, _id: id } })}\n`);
}

/** The request body: NDJSON, newline-terminated as the bulk API requires. */
export const bulkBody = (ops: BulkOperation[]): string => ops.map((o) => o.ndjson).join('');

export interface BulkBounds {
  maxDocs: number;
  maxBytes: number;
}

export const DEFAULT_BULK_BOUNDS: BulkBounds = { maxDocs: 500, maxBytes: 5 * 1024 * 1024 };

/** Split operations into requests of at most maxDocs and maxBytes (an oversized single op goes alone). */
export function chunkBulkOperations(ops: BulkOperation[], bounds: BulkBounds = DEFAULT_BULK_BOUNDS): BulkOperation[][] {
  const groups: BulkOperation[][] = [];
  let current: BulkOperation[] = [];
  let bytes = 0;
  for (const o of ops) {
    if (current.length > 0 && (current.length >= bounds.maxDocs || bytes + o.bytes > bounds.maxBytes)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(o);
    bytes += o.bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

// ---------------------------------------------------------------- filters

/**
 * One clause that passes a path matching any of the globs (src/pathFilter's
 * grammar). A plain anchored directory ("src/**", "/docs/") is a term on
 * the path_hierarchy subfield, which hits the path itself and everything
 * under it; for globs that match only below it the path itself is excluded
 * again. Anything else is a regexp on the keyword path.
 */
export function pathFilterClause(globs: string[]): Record<string, unknown> {
  const should = globs.map((g) => {
    const glob = parsePathGlob(g);
    const literal = literalDirectory(glob);
    if (!literal) return { regexp: { path: { value: luceneRegexp(glob) } } };
    const under = { term: { 'path.tree': literal.path } };
    return literal.belowOnly ? { bool: { filter: [under], must_not: [{ term: { path: literal.path } }] } } : under;
  });
  return { bool: { should, minimum_should_match: 1 } };
}

/** Filter clauses (no scoring): the repo always, then path globs and languages when given. */
export function buildFilterClauses(repo: string, filters?: SearchFilters): Record<string, unknown>[] {
  const clauses: Record<string, unknown>[] = [{ term: { repo } }];
  if (filters?.paths?.length) clauses.push(pathFilterClause(filters.paths));
  if (filters?.languages?.length) clauses.push({ terms: { language: filters.languages } });
  if (filters?.roles?.length) clauses.push({ terms: { role: filters.roles } });
  return clauses;
}

// ---------------------------------------------------------------- queries

export const BM25_FIELDS = ['content^1', 'symbols^2', 'path.text^0.5'];

interface QueryBase {
  repo: string;
  k: number;
  filters?: SearchFilters;
}

const SOURCE = ['chunk_id'];

export function buildBm25Match(text: string, boost?: number): Record<string, unknown> {
  return { multi_match: { query: text, fields: BM25_FIELDS, type: 'best_fields', ...(boost !== undefined ? { boost } : {}) } };
}

export function buildBm25Query(q: QueryBase & { text: string }): Record<string, unknown> {
  return {
    size: q.k,
    _source: SOURCE,
    query: { bool: { must: [buildBm25Match(q.text)], filter: buildFilterClauses(q.repo, q.filters) } },
  };
}

/** Default cap on query terms: stays well under the 1024-clause bool limit. */
export const DEFAULT_MAX_QUERY_TERMS = 256;

/** Usable query terms, heaviest first (ties by name, so the body is deterministic). */
export function topQueryTerms(vector: SparseVector, maxTerms = DEFAULT_MAX_QUERY_TERMS): [string, number][] {
  return Object.entries(vector)
    .filter(([t, w]) => t !== '' && isUsableWeight(w))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxTerms);
}

/** One rank_feature clause per term; linear + boost = weight makes the sum a dot product. */
export function buildRankFeatureClauses(vector: SparseVector, maxTerms?: number): Record<string, unknown>[] {
  return topQueryTerms(vector, maxTerms).map(([term, weight]) => ({
    rank_feature: { field: `${SPLADE_FIELD}.${sanitizeFeatureName(term)}`, linear: {}, boost: weight },
  }));
}

export function buildSpladeQuery(q: QueryBase & { vector: SparseVector; maxTerms?: number }): Record<string, unknown> {
  return {
    size: q.k,
    _source: SOURCE,
    query: {
      bool: {
        should: buildRankFeatureClauses(q.vector, q.maxTerms),
        minimum_should_match: 1,
        filter: buildFilterClauses(q.repo, q.filters),
      },
    },
  };
}

/**
 * neural_sparse (neural-search plugin): either our own encoded tokens
 * (names sanitised like the documents), or text encoded by a model deployed
 * in the cluster. A cluster model emits raw tokens, so it only matches terms
 * whose sanitised name equals the raw one (plain [A-Za-z0-9-] words).
 */
export function buildNeuralSparseQuery(
  q: QueryBase & ({ vector: SparseVector; maxTerms?: number } | { text: string; modelId: string }),
): Record<string, unknown> {
  const spec =
    'modelId' in q
      ? { query_text: q.text, model_id: q.modelId }
      : { query_tokens: Object.fromEntries(topQueryTerms(q.vector, q.maxTerms).map(([t, w]) => [sanitizeFeatureName(t), w])) };
  return {
    size: q.k,
    _source: SOURCE,
    query: { bool: { must: [{ neural_sparse: { [SPLADE_FIELD]: spec } }], filter: buildFilterClauses(q.repo, q.filters) } },
  };
}

/**
 * BM25 + SPLADE in one request (seed 003 §7.3): score = bm25Boost * BM25 +
 * spladeBoost * (query · doc). Either side alone is enough to match. The two
 * scales differ (BM25 is unbounded, the SPLADE dot product is small), so the
 * boosts are the tuning knobs; the answer path fuses channels with RRF instead.
 */
export function buildHybridQuery(
  q: QueryBase & { text: string; vector: SparseVector; bm25Boost?: number; spladeBoost?: number; maxTerms?: number },
): Record<string, unknown> {
  const should: Record<string, unknown>[] = [buildBm25Match(q.text, q.bm25Boost ?? 1)];
  const features = buildRankFeatureClauses(q.vector, q.maxTerms);
  if (features.length > 0) should.push({ bool: { should: features, boost: q.spladeBoost ?? 1 } });
  return {
    size: q.k,
    _source: SOURCE,
    query: { bool: { should, minimum_should_match: 1, filter: buildFilterClauses(q.repo, q.filters) } },
  };
}
