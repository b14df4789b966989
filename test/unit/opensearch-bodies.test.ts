import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import { PathGlobError } from '../../src/pathFilter/index.js';
import {
  BM25_FIELDS,
  buildBm25Query,
  buildChunkDocument,
  buildFilterClauses,
  buildHybridQuery,
  buildIndexBody,
  buildNeuralSparseQuery,
  buildSpladeQuery,
  bulkBody,
  bulkDeleteOperation,
  bulkIndexOperation,
  checkIndexMapping,
  chunkBulkOperations,
  docId,
  restoreFeatureName,
  sanitizeFeatureName,
  toRankFeatures,
} from '../../src/sinks/opensearchBodies.js';
import {
  createOpenSearchBm25Channel,
  createOpenSearchHybridChannel,
  createOpenSearchSpladeChannel,
} from '../../src/retrieval/opensearchChannels.js';
import type { OpenSearchClientLike } from '../../src/sinks/opensearchSink.js';

const chunk: Chunk = {
  id: 'c'.repeat(32),
  path: 'src/config/loader.ts',
  startLine: 10,
  endLine: 42,
  language: 'typescript',
  symbols: ['loadConfig', 'ConfigError'],
  text: 'export function loadConfig(env) { ... }',
};

/** Feature names as the query side would address them: splade_terms.<name>. */
const rankFeatureFields = (body: unknown): string[] =>
  JSON.stringify(body).match(/"field":"splade_terms\.[^"]*"/g)?.map((m) => m.slice(9, -1)) ?? [];

// The builders return plain JSON; these name the parts the tests read (a
// missing part reads as undefined and fails the expectation).
type FieldMapping = { type: string; fields: { tree: { analyzer: string } } };
type IndexBody = {
  settings: { analysis: { filter: Record<string, unknown>; analyzer: Record<string, { filter: string[] }>; tokenizer: Record<string, unknown> } };
  mappings: { dynamic: string; properties: Record<string, FieldMapping> };
};
type QueryClause = {
  multi_match: { query: string };
  rank_feature: { field: string };
  neural_sparse: { splade_terms: unknown };
  regexp: { path: { value: string } };
  bool: { should: QueryClause[]; boost: number };
};
type QueryBody = {
  size: number;
  _source: string[];
  query: { bool: { must: QueryClause[]; should: QueryClause[]; filter: unknown[]; minimum_should_match: number } };
};

describe('rank_features feature names', () => {
  it('keep plain words as they are', () => {
    expect(sanitizeFeatureName('config')).toBe('config');
    expect(sanitizeFeatureName('utf-8')).toBe('utf-8');
  });

  it('escape dots, which OpenSearch rejects in rank_features keys and splits queries on', () => {
    expect(sanitizeFeatureName('os.path')).toBe('os_2e_path');
    expect(sanitizeFeatureName('os.path')).not.toContain('.');
  });

  it('escape WordPiece prefixes, underscores, spaces and non-ASCII', () => {
    expect(sanitizeFeatureName('##ing')).toBe('_23__23_ing');
    expect(sanitizeFeatureName('snake_case')).toBe('snake_5f_case');
    expect(sanitizeFeatureName('a b')).toBe('a_20_b');
    expect(sanitizeFeatureName('café')).toBe('caf_e9_');
    expect(sanitizeFeatureName('🙂')).toBe('_1f642_');
  });

  it('round-trip, so different terms never share a feature', () => {
    const terms = ['##ing', 'a.b', 'a_2e_b', '_', '__init__', 'naïve', '$scope', '🙂x', 'x/y\\z'];
    for (const t of terms) expect(restoreFeatureName(sanitizeFeatureName(t))).toBe(t);
    // the literal text "a_2e_b" and the term "a.b" stay distinct
    expect(new Set(terms.map(sanitizeFeatureName)).size).toBe(terms.length);
  });

  it('are only ever built from [A-Za-z0-9_-]', () => {
    for (const t of ['a.b.c', '{x}', '"q"', '\u0000', 'über', '##']) {
      expect(sanitizeFeatureName(t)).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });
});

describe('toRankFeatures', () => {
  it('drops weights that are not positive, finite float32 values, and empty terms', () => {
    const features = toRankFeatures({
      good: 0.5,
      'a.b': 0.25,
      zero: 0,
      negative: -0.1,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      tiny: 1e-45, // below float32's smallest normal: Lucene rejects it
      huge: 1e39, // above float32's max
      '': 0.3,
    });
    expect(features).toEqual({ good: 0.5, a_2e_b: 0.25 });
  });
});

describe('index settings and mappings', () => {
  const body = buildIndexBody() as IndexBody;
  const props = body.mappings.properties;

  it('split code identifiers on case and digit changes, keep the original, then lowercase', () => {
    const { analysis } = body.settings;
    expect(analysis.filter.code_split).toMatchObject({
      type: 'word_delimiter_graph',
      split_on_case_change: true,
      split_on_numerics: true,
      preserve_original: true,
    });
    const index = analysis.analyzer.code_index.filter;
    const search = analysis.analyzer.code_search.filter;
    // lowercase after splitting, or "parseHTTP" has no case change left to split on
    expect(index.indexOf('lowercase')).toBeGreaterThan(index.indexOf('code_split'));
    expect(search.indexOf('lowercase')).toBeGreaterThan(search.indexOf('code_split'));
    // a token graph cannot be indexed: only the index analyzer flattens it
    expect(index).toContain('flatten_graph');
    expect(search).not.toContain('flatten_graph');
  });

  it('analyse content and symbols as code', () => {
    for (const f of ['content', 'symbols']) {
      expect(props[f]).toEqual({ type: 'text', analyzer: 'code_index', search_analyzer: 'code_search' });
    }
  });

  it('store path, language and repo as keywords, path with a hierarchy subfield', () => {
    expect(props.repo.type).toBe('keyword');
    expect(props.language.type).toBe('keyword');
    expect(props.path.type).toBe('keyword');
    expect(body.settings.analysis.tokenizer.path_tree).toEqual({ type: 'path_hierarchy', delimiter: '/' });
    expect(props.path.fields.tree.analyzer).toBe('path_tree');
  });

  it('store lines as integers and SPLADE terms as rank_features', () => {
    expect(props.start_line.type).toBe('integer');
    expect(props.end_line.type).toBe('integer');
    expect(props.splade_terms).toEqual({ type: 'rank_features' });
  });

  it('reject unknown fields instead of guessing their type', () => {
    expect(body.mappings.dynamic).toBe('strict');
  });

  it('is what checkIndexMapping accepts; a dynamically mapped index is reported', () => {
    expect(checkIndexMapping(body.mappings)).toEqual([]);
    const autoCreated = { properties: { ...props, splade_terms: { properties: { foo: { type: 'float' } } }, path: { type: 'text' } } };
    expect(checkIndexMapping(autoCreated)).toEqual(['path is text, expected keyword', 'splade_terms is object, expected rank_features']);
  });
});

describe('documents and bulk bodies', () => {
  it('scope the document id by repo, because chunk ids repeat across repos', () => {
    expect(docId('acme/api', chunk.id)).toBe(`acme/api:${chunk.id}`);
    expect(docId('acme/api', chunk.id)).not.toBe(docId('acme/fork', chunk.id));
    const long = docId('r'.repeat(600), chunk.id);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(512);
    expect(long.endsWith(`:${chunk.id}`)).toBe(true);
  });

  it('carry every mapped field, with sanitised SPLADE terms', () => {
    const doc = buildChunkDocument('acme/api', 'run-1', chunk, { config: 0.6, 'os.path': 0.3, bad: -1 });
    expect(doc).toEqual({
      chunk_id: chunk.id,
      repo: 'acme/api',
      run_id: 'run-1',
      path: 'src/config/loader.ts',
      language: 'typescript',
      role: 'source',
      start_line: 10,
      end_line: 42,
      symbols: ['loadConfig', 'ConfigError'],
      content: chunk.text,
      splade_terms: { config: 0.6, os_2e_path: 0.3 },
    });
    // every field of the document is mapped (the index is strict)
    const mapped = Object.keys((buildIndexBody() as IndexBody).mappings.properties);
    for (const key of Object.keys(doc)) expect(mapped).toContain(key);
  });

  it('leave splade_terms out when no SPLADE model ran or no term survived', () => {
    expect(buildChunkDocument('r', 'run', chunk)).not.toHaveProperty('splade_terms');
    expect(buildChunkDocument('r', 'run', chunk, { x: 0 })).not.toHaveProperty('splade_terms');
  });

  it('write NDJSON: an action line with _index and _id, then the source, newline-terminated', () => {
    const body = bulkBody([
      bulkIndexOperation('chunks', 'r:1', { content: 'a\nb' }),
      bulkDeleteOperation('chunks', 'r:2'),
    ]);
    expect(body.endsWith('\n')).toBe(true);
    const lines = body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { index: { _index: 'chunks', _id: 'r:1' } },
      { content: 'a\nb' },
      { delete: { _index: 'chunks', _id: 'r:2' } },
    ]);
  });

  it('split into requests of at most maxDocs documents', () => {
    const ops = Array.from({ length: 1201 }, (_, i) => bulkDeleteOperation('i', `id${i}`));
    expect(chunkBulkOperations(ops, { maxDocs: 500, maxBytes: 1e9 }).map((g) => g.length)).toEqual([500, 500, 201]);
  });

  it('split into requests of at most maxBytes; a single oversized document still goes, alone', () => {
    const big = bulkIndexOperation('i', 'big', { content: 'x'.repeat(2000) });
    const small = bulkIndexOperation('i', 's', { content: 'x'.repeat(300) });
    const groups = chunkBulkOperations([small, small, small, big, small], { maxDocs: 500, maxBytes: 1000 });
    expect(groups.map((g) => g.map((o) => o.id))).toEqual([['s', 's'], ['s'], ['big'], ['s']]);
    for (const g of groups.filter((g) => g.length > 1)) {
      expect(Buffer.byteLength(bulkBody(g))).toBeLessThanOrEqual(1000);
    }
  });
});

describe('filter clauses', () => {
  it('always restrict to the repo', () => {
    expect(buildFilterClauses('acme/api')).toEqual([{ term: { repo: 'acme/api' } }]);
  });

  it('turn globs into one should-clause: a plain root directory as path.tree terms, others as a regexp on path', () => {
    const [, paths] = buildFilterClauses('r', { paths: ['src/**', '/docs', '*.py'] });
    expect(paths).toEqual({
      bool: {
        should: [
          // "src/**" is what is under src, so a file named "src" is excluded again
          { bool: { filter: [{ term: { 'path.tree': 'src' } }], must_not: [{ term: { path: 'src' } }] } },
          { term: { 'path.tree': 'docs' } },
          // a directory named "x.py" matches too, as in gitignore
          { regexp: { path: { value: '(.*/)?[^/]*\\.py(/.*)?' } } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('escape every Lucene operator in a path regexp', () => {
    const [, paths] = buildFilterClauses('r', { paths: ['a.b+c(d)@e#f~g"h&<i>.ts'] }) as QueryClause[];
    expect(paths.bool.should[0].regexp.path.value).toBe('(.*/)?a\\.b\\+c\\(d\\)\\@e\\#f\\~g\\"h\\&\\<i\\>\\.ts(/.*)?');
  });

  it('refuse a malformed glob with an error that names it', () => {
    expect(() => buildFilterClauses('r', { paths: ['src/[ab'] })).toThrow(PathGlobError);
    expect(() => buildFilterClauses('r', { paths: ['src/[ab'] })).toThrow(/"src\/\[ab"/);
  });

  it('turn languages into a terms clause and ignore empty lists', () => {
    expect(buildFilterClauses('r', { languages: ['python', 'go'] })[1]).toEqual({ terms: { language: ['python', 'go'] } });
    expect(buildFilterClauses('r', { paths: [], languages: [] })).toHaveLength(1);
  });

  it('turn roles into a terms clause on the role keyword', () => {
    expect(buildFilterClauses('r', { roles: ['test', 'docs'] })[1]).toEqual({ terms: { role: ['test', 'docs'] } });
    expect(buildFilterClauses('r', { roles: [] })).toHaveLength(1);
  });
});

describe('query bodies', () => {
  const filters = { paths: ['src/**'], languages: ['typescript'] };
  const filter = buildFilterClauses('acme/api', filters);

  it('bm25: multi_match over content^1, symbols^2 and path words^0.5, filters as filter clauses', () => {
    const body = buildBm25Query({ repo: 'acme/api', text: 'load config', k: 20, filters }) as QueryBody;
    expect(body.size).toBe(20);
    expect(body._source).toEqual(['chunk_id']);
    expect(body.query.bool.must).toEqual([
      { multi_match: { query: 'load config', fields: ['content^1', 'symbols^2', 'path.text^0.5'], type: 'best_fields' } },
    ]);
    expect(BM25_FIELDS).toEqual(['content^1', 'symbols^2', 'path.text^0.5']);
    expect(body.query.bool.filter).toEqual(filter);
  });

  it('splade: one linear rank_feature per query term, boosted by its weight, heaviest first', () => {
    const body = buildSpladeQuery({ repo: 'acme/api', k: 5, filters, vector: { config: 0.2, 'os.path': 0.9, '##ing': 0.5, junk: -1 } }) as QueryBody;
    expect(body.query.bool.should).toEqual([
      { rank_feature: { field: 'splade_terms.os_2e_path', linear: {}, boost: 0.9 } },
      { rank_feature: { field: 'splade_terms._23__23_ing', linear: {}, boost: 0.5 } },
      { rank_feature: { field: 'splade_terms.config', linear: {}, boost: 0.2 } },
    ]);
    expect(body.query.bool.minimum_should_match).toBe(1);
    expect(body.query.bool.filter).toEqual(filter);
    // the field name has exactly one dot: OpenSearch splits at the last one
    for (const f of rankFeatureFields(body)) expect(f.split('.')).toHaveLength(2);
  });

  it('splade: caps the number of clauses', () => {
    const vector = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, (i + 1) / 50]));
    const body = buildSpladeQuery({ repo: 'r', k: 5, vector, maxTerms: 10 }) as QueryBody;
    expect(body.query.bool.should).toHaveLength(10);
    expect(body.query.bool.should[0].rank_feature.field).toBe('splade_terms.t49');
  });

  it('neural_sparse: our own tokens, sanitised like the documents', () => {
    const body = buildNeuralSparseQuery({ repo: 'r', k: 3, vector: { 'a.b': 0.7, x: 0.1 } }) as QueryBody;
    expect(body.query.bool.must).toEqual([{ neural_sparse: { splade_terms: { query_tokens: { a_2e_b: 0.7, x: 0.1 } } } }]);
    expect(body.query.bool.filter).toEqual([{ term: { repo: 'r' } }]);
  });

  it('neural_sparse: or text encoded by a model deployed in the cluster', () => {
    const body = buildNeuralSparseQuery({ repo: 'r', k: 3, text: 'parse yaml', modelId: 'm-1' }) as QueryBody;
    expect(body.query.bool.must).toEqual([{ neural_sparse: { splade_terms: { query_text: 'parse yaml', model_id: 'm-1' } } }]);
  });

  it('hybrid: bm25 and the SPLADE dot product as two boosted should clauses, either one enough', () => {
    const body = buildHybridQuery({
      repo: 'acme/api',
      k: 10,
      filters,
      text: 'load config',
      vector: { config: 0.8 },
      bm25Boost: 1,
      spladeBoost: 5,
    }) as QueryBody;
    expect(body.query.bool.should).toEqual([
      { multi_match: { query: 'load config', fields: BM25_FIELDS, type: 'best_fields', boost: 1 } },
      { bool: { should: [{ rank_feature: { field: 'splade_terms.config', linear: {}, boost: 0.8 } }], boost: 5 } },
    ]);
    expect(body.query.bool.minimum_should_match).toBe(1);
    expect(body.query.bool.filter).toEqual(filter);
  });

  it('hybrid: falls back to bm25 alone when the query has no usable SPLADE term', () => {
    const body = buildHybridQuery({ repo: 'r', k: 10, text: 'x', vector: {} }) as QueryBody;
    expect(body.query.bool.should).toHaveLength(1);
  });
});

describe('OpenSearch channels', () => {
  /** A fake search client that records bodies and answers with fixed hits. */
  function fakeSearch() {
    const bodies: QueryBody[] = [];
    let aborted = false;
    const client: Pick<OpenSearchClientLike, 'search'> = {
      search({ body }) {
        bodies.push(body as QueryBody);
        const p = Promise.resolve({
          body: { hits: { hits: [{ _id: 'r:c1', _score: 3.5, _source: { chunk_id: 'c1' } }, { _id: 'r:c2', _score: 1, _source: { chunk_id: 'c2' } }] } },
        });
        return Object.assign(p, { abort: () => void (aborted = true) });
      },
    };
    return { client, bodies, wasAborted: () => aborted };
  }

  it('bm25 returns chunk ids from _source (the _id is repo-scoped) with scores', async () => {
    const { client, bodies } = fakeSearch();
    const hits = await createOpenSearchBm25Channel({ client, index: 'chunks' }).search({ repo: 'r', text: 'q', k: 2 });
    expect(hits).toEqual([
      { chunkId: 'c1', score: 3.5 },
      { chunkId: 'c2', score: 1 },
    ]);
    expect(bodies[0].query.bool.must[0].multi_match.query).toBe('q');
  });

  it('splade encodes the query and sends rank_feature clauses', async () => {
    const { client, bodies } = fakeSearch();
    const channel = createOpenSearchSpladeChannel({ client, index: 'chunks', encodeQuery: async () => ({ 'a.b': 0.4 }) });
    await channel.search({ repo: 'r', text: 'q', k: 2 });
    expect(channel.name).toBe('splade');
    expect(rankFeatureFields(bodies[0])).toEqual(['splade_terms.a_2e_b']);
  });

  it('splade skips the request when no query term is usable', async () => {
    const { client, bodies } = fakeSearch();
    const channel = createOpenSearchSpladeChannel({ client, index: 'chunks', encodeQuery: async () => ({ x: 0 }) });
    expect(await channel.search({ repo: 'r', text: 'q', k: 2 })).toEqual([]);
    expect(bodies).toHaveLength(0);
  });

  it('splade switches to neural_sparse by option: own tokens, or a cluster model (no local encoding)', async () => {
    const tokens = fakeSearch();
    await createOpenSearchSpladeChannel({ client: tokens.client, index: 'i', encodeQuery: async () => ({ x: 1 }), neuralSparse: {} }).search({
      repo: 'r',
      text: 'q',
      k: 1,
    });
    expect(tokens.bodies[0].query.bool.must[0].neural_sparse.splade_terms).toEqual({ query_tokens: { x: 1 } });

    const model = fakeSearch();
    let encoded = false;
    await createOpenSearchSpladeChannel({
      client: model.client,
      index: 'i',
      encodeQuery: async () => ((encoded = true), {}),
      neuralSparse: { modelId: 'm-1' },
    }).search({ repo: 'r', text: 'q', k: 1 });
    expect(model.bodies[0].query.bool.must[0].neural_sparse.splade_terms).toEqual({ query_text: 'q', model_id: 'm-1' });
    expect(encoded).toBe(false);
  });

  it('hybrid sends bm25 and rank_feature clauses in one request', async () => {
    const { client, bodies } = fakeSearch();
    const channel = createOpenSearchHybridChannel({ client, index: 'i', encodeQuery: async () => ({ t: 1 }), spladeBoost: 3 });
    await channel.search({ repo: 'r', text: 'q', k: 1 });
    expect(bodies[0].query.bool.should[1].bool.boost).toBe(3);
  });

  it('aborts the in-flight request when the caller aborts', async () => {
    const { client, wasAborted } = fakeSearch();
    const ac = new AbortController();
    const search = createOpenSearchBm25Channel({ client, index: 'i' }).search({ repo: 'r', text: 'q', k: 1, signal: ac.signal });
    ac.abort();
    await expect(search).rejects.toThrow();
    expect(wasAborted()).toBe(true);
  });
});
