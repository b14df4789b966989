import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkId } from '../../src/chunking/chunk.js';
import { type Chunk } from '../../src/contracts/chunk.js';
import { loadCatalog, type ChunkCatalog } from '../../src/catalog/chunkCatalog.js';
import { createDuckDb, type DuckDb } from '../../src/catalog/duckdb.js';
import { BM25_IDF_EXPONENT, BM25_K1 } from '../../src/catalog/bm25fFields.js';
import { docSummary } from '../../src/chunking/docSummary.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import { createParquetSink, partsDir } from '../../src/sinks/parquetSink.js';
import type { SparseVector } from '../../src/contracts/sparse.js';
import { testContract } from '../support/contract.js';

const contract: EmbeddingContract = testContract();

function chunk(path: string, text: string, language = 'typescript', startLine = 1): Chunk {
  return { id: chunkId(path, text), path, startLine, endLine: startLine + 9, language, symbols: [], text };
}

let db: DuckDb;
let dataDir: string;
let batchIndex = 0;

/** Write chunks (with optional SPLADE maps) as one part; returns its absolute path. */
async function writePart(chunks: Chunk[], sparse?: SparseVector[]): Promise<string> {
  const sink = createParquetSink({ db, dataDir, durable: false });
  const index = batchIndex++;
  await sink.writeBatch({
    repo: 'r', runId: 'run', batchIndex: index, chunks,
    dense: chunks.map(() => new Float32Array(4)),
    sparse, embedding: contract,
    sparseContract: sparse ? { model: 's', topK: 10, minWeight: 0 } : undefined,
  });
  return join(partsDir(dataDir, 'r'), `part-run-${String(index).padStart(5, '0')}.parquet`);
}

const ids = (hits: { chunkId: string }[]) => hits.map((h) => h.chunkId);

/**
 * Every behaviour holds for both stores: in-memory tables, and a DuckDB file
 * per catalog (SEARCH_CATALOG_STORE=disk, the default), which must rank alike.
 */
const STORES = ['memory', 'disk'] as const;
let storeDirs = 0;
const storeOf = (store: (typeof STORES)[number]) => (store === 'disk' ? { storeDir: join(dataDir, 'catalogs', String(storeDirs++)) } : {});

beforeAll(async () => {
  db = await createDuckDb({ threads: 1 });
  dataDir = await mkdtemp(join(tmpdir(), 'chunk-catalog-'));
});
afterAll(async () => {
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe.each(STORES)('%s store', (store) => {
  describe('chunk catalog: BM25', () => {
    const common = 'function handle request response return value';
    const docs = {
      rare: chunk('src/a.ts', `${common} validateTokenSignature(token)`),
      plain1: chunk('src/b.ts', `${common} token`),
      plain2: chunk('src/c.ts', `${common} token token`),
      other: chunk('src/d.ts', 'unrelated text about storage'),
      snake: chunk('lib/config_loader.py', 'def load_user_config(path):\n    return read(path)', 'python'),
      camelTs: chunk('web/userConfig.ts', 'export const userConfig = loadDefaults();'),
    };
    let catalog: ChunkCatalog;

    beforeAll(async () => {
      const part = await writePart(Object.values(docs));
      catalog = await loadCatalog(db, { ...storeOf(store), parts: [part] });
    });
    afterAll(() => catalog.dispose());

    it('ranks the chunk with the rare matching identifier first', async () => {
      const hits = await catalog.bm25('validate token signature', 10);
      expect(hits[0].chunkId).toBe(docs.rare.id);
      // "token" alone matches the others, below it
      expect(ids(hits)).toEqual(expect.arrayContaining([docs.plain1.id, docs.plain2.id]));
      expect(ids(hits)).not.toContain(docs.other.id);
      expect(hits[0].score).toBeGreaterThan(hits[1].score);
    });

    it('scores a body-only term with Okapi BM25 (k1 BM25_K1, b 0.75, idf ln(1 + (N - df + 0.5) / (df + 0.5)) to the power BM25_IDF_EXPONENT)', async () => {
      // "storage" occurs once, only in the body of `other`: unrelated, text, about(kept), storage; the path is a field of its own
      const [hit] = await catalog.bm25('storage', 1);
      const N = 6;
      const df = 1;
      const tf = 1;
      const { avgDocLen } = catalog.stats();
      const docLen = ['unrelated', 'text', 'about', 'storage'].length;
      const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5)) ** BM25_IDF_EXPONENT;
      const expected = (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - 0.75 + (0.75 * docLen) / avgDocLen));
      expect(hit.chunkId).toBe(docs.other.id);
      expect(hit.score).toBeCloseTo(expected, 9);
    });

    it('rewards term frequency, with diminishing returns', async () => {
      const hits = await catalog.bm25('token', 10);
      const score = (id: string) => hits.find((h) => h.chunkId === id)!.score;
      expect(score(docs.plain2.id)).toBeGreaterThan(score(docs.plain1.id));
      expect(score(docs.plain2.id)).toBeLessThan(2 * score(docs.plain1.id));
    });

    it('matches a camelCase query against snake_case code and the reverse', async () => {
      expect(ids(await catalog.bm25('loadUserConfig', 1))).toEqual([docs.snake.id]);
      expect(ids(await catalog.bm25('user_config', 10))).toEqual(expect.arrayContaining([docs.snake.id, docs.camelTs.id]));
    });

    it('filters by path glob inside the query, before the top k is cut', async () => {
      // unfiltered, the three src/ chunks outrank anything; a k of 1 still finds the lib/ one
      expect(ids(await catalog.bm25('return', 1, { paths: ['lib/**'] }))).toEqual([docs.snake.id]);
      expect(ids(await catalog.bm25('config', 10, { paths: ['*.py'] }))).toEqual([docs.snake.id]);
      expect(ids(await catalog.bm25('token', 10, { paths: ['src/[ab].ts'] })).sort()).toEqual([docs.rare.id, docs.plain1.id].sort());
      expect(await catalog.bm25('token', 10, { paths: ['web/**'] })).toEqual([]);
    });

    it('filters by language', async () => {
      expect(ids(await catalog.bm25('config', 10, { languages: ['python'] }))).toEqual([docs.snake.id]);
      expect(ids(await catalog.bm25('config', 10, { languages: ['typescript'] }))).toEqual([docs.camelTs.id]);
      expect(ids(await catalog.bm25('config', 10, { languages: ['python'], paths: ['web/**'] }))).toEqual([]);
    });

    it('returns nothing for a query without indexable terms or unknown terms', async () => {
      expect(await catalog.bm25('the of a', 10)).toEqual([]);
      expect(await catalog.bm25('zyxwvut', 10)).toEqual([]);
    });

    it('counts its chunks', () => {
      expect(catalog.count()).toBe(6);
    });
  });

  describe('chunk catalog: versions of a repo', () => {
    it('never returns deleted chunk ids from any method', async () => {
      const keep = chunk('src/keep.ts', 'shared needle keep');
      const gone = chunk('src/gone.ts', 'shared needle gone');
      const part = await writePart([keep, gone], [{ needle: 1 }, { needle: 2 }]);
      const catalog = await loadCatalog(db, { ...storeOf(store), parts: [part], deletedChunkIds: [gone.id] });

      expect(ids(await catalog.bm25('needle', 10))).toEqual([keep.id]);
      expect(ids(await catalog.splade({ needle: 1 }, 10))).toEqual([keep.id]);
      expect((await catalog.hydrate([gone.id, keep.id])).map((r) => r.chunkId)).toEqual([keep.id]);
      expect(await catalog.filterIds([gone.id, keep.id])).toEqual([keep.id]);
      expect(catalog.count()).toBe(1);
      await catalog.dispose();
    });

    it('keeps one row per chunk id when parts overlap, taking the part listed last', async () => {
      const moved = chunk('src/x.ts', 'duplicated body text', 'typescript', 1);
      const older = await writePart([moved]);
      const newer = await writePart([{ ...moved, startLine: 41, endLine: 50 }]);
      const catalog = await loadCatalog(db, { ...storeOf(store), parts: [older, newer] });

      expect(catalog.count()).toBe(1);
      expect(ids(await catalog.bm25('duplicated', 10))).toEqual([moved.id]);
      expect((await catalog.hydrate([moved.id]))[0].startLine).toBe(41);
      // the df of "duplicated" is 1, not 2: stats see the collapsed rows
      expect(catalog.stats().chunks).toBe(1);
      await catalog.dispose();
    });

    it('loads an empty version', async () => {
      const catalog = await loadCatalog(db, { ...storeOf(store), parts: [] });
      expect(catalog.count()).toBe(0);
      expect(await catalog.bm25('anything', 5)).toEqual([]);
      expect(await catalog.hydrate(['nope'])).toEqual([]);
      await catalog.dispose();
    });

    it('lives beside other catalogs in one DuckDB and drops its tables on dispose', async () => {
      const a = await loadCatalog(db, { ...storeOf(store), parts: [await writePart([chunk('a.ts', 'alpha only')])] });
      const b = await loadCatalog(db, { ...storeOf(store), parts: [await writePart([chunk('b.ts', 'beta only')])] });
      const tables = () => db.withConnection(async (c) => Number((await c.runAndReadAll('SELECT count(*) FROM duckdb_tables()')).getRowsJS()[0][0]));
      const before = await tables();

      expect(ids(await a.bm25('beta', 5))).toEqual([]);
      expect((await b.bm25('beta', 5)).length).toBe(1);

      await a.dispose();
      await a.dispose();
      expect(await tables()).toBeLessThan(before);
      await expect(a.bm25('alpha', 5)).rejects.toThrow(/disposed/);
      expect((await b.bm25('beta', 5)).length).toBe(1);
      await b.dispose();
    });
  });

  describe('chunk catalog: SPLADE', () => {
    it('ranks by the dot product of query and chunk weights', async () => {
      const c1 = chunk('s/1.ts', 'one');
      const c2 = chunk('s/2.ts', 'two');
      const c3 = chunk('s/3.ts', 'three');
      const c4 = chunk('s/4.ts', 'four');
      const part = await writePart([c1, c2, c3, c4], [
        { parse: 0.9, json: 0.1 }, // 0.9*0.5 + 0.1*1.0 = 0.55
        { json: 0.8 }, //             0.8*1.0           = 0.80
        { parse: 0.2, yaml: 0.9 }, // 0.2*0.5           = 0.10
        { yaml: 1.0 }, //             no overlap        -> absent
      ]);
      const catalog = await loadCatalog(db, { ...storeOf(store), parts: [part] });

      const hits = await catalog.splade({ json: 1.0, parse: 0.5 }, 10);
      expect(ids(hits)).toEqual([c2.id, c1.id, c3.id]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.55, 6), expect.closeTo(0.1, 6)]);
      expect(ids(await catalog.splade({ json: 1.0, parse: 0.5 }, 2))).toEqual([c2.id, c1.id]);
      expect(ids(await catalog.splade({ json: 1, parse: 0.5 }, 10, { paths: ['s/3.ts'] }))).toEqual([c3.id]);
      expect(await catalog.splade({}, 10)).toEqual([]);
      await catalog.dispose();
    });

    it('finds nothing in parts written without SPLADE maps', async () => {
      const catalog = await loadCatalog(db, { ...storeOf(store), parts: [await writePart([chunk('n/1.ts', 'plain')])] });
      expect(await catalog.splade({ plain: 1 }, 10)).toEqual([]);
      await catalog.dispose();
    });
  });

  describe('chunk catalog: hydrate and filterIds', () => {
    const a = chunk('src/a.ts', 'aaa');
    const b = { ...chunk('docs/b.md', 'bbb', 'markdown', 5), symbols: ['Intro', 'Setup'] };
    const c = chunk('src/c.py', 'ccc', 'python');
    let catalog: ChunkCatalog;

    beforeAll(async () => {
      catalog = await loadCatalog(db, { ...storeOf(store), parts: [await writePart([a, b, c])] });
    });
    afterAll(() => catalog.dispose());

    it('returns rows in the order of the ids asked for, dropping unknown ones', async () => {
      const rows = await catalog.hydrate([c.id, 'unknown', b.id, a.id]);
      expect(rows.map((r) => r.chunkId)).toEqual([c.id, b.id, a.id]);
      expect(rows[1]).toEqual({
        chunkId: b.id, path: 'docs/b.md', startLine: 5, endLine: 14, language: 'markdown', symbols: ['Intro', 'Setup'], doc: '', role: 'docs', content: 'bbb',
      });
    });

    it('returns the doc comments stored with a chunk', async () => {
      const documented = { ...chunk('src/send.ts', '/** Sends a request. */\nfunction send() {}'), symbols: ['send'], doc: 'Sends a request.' };
      const cat = await loadCatalog(db, { ...storeOf(store), parts: [await writePart([documented])] });
      expect((await cat.hydrate([documented.id]))[0].doc).toBe('Sends a request.');
      await cat.dispose();
    });

    it('reads parts written before the doc column existed, with an empty doc', async () => {
      const legacy = chunk('src/old.ts', 'old part');
      const fresh = chunk('src/new.ts', 'new part');
      const withColumn = await writePart([legacy]);
      const old = join(partsDir(dataDir, 'r'), 'part-before-doc-column.parquet');
      await db.withConnection((conn) => conn.run(`COPY (SELECT * EXCLUDE (doc_comment) FROM read_parquet('${withColumn}')) TO '${old}' (FORMAT parquet)`));
      const cat = await loadCatalog(db, { ...storeOf(store), parts: [old, await writePart([fresh])] });
      expect((await cat.hydrate([legacy.id, fresh.id])).map((r) => [r.path, r.doc])).toEqual([['src/old.ts', ''], ['src/new.ts', '']]);
      await cat.dispose();
    });

    it('drops rows the filters exclude', async () => {
      expect((await catalog.hydrate([c.id, b.id, a.id], { paths: ['src/**'] })).map((r) => r.chunkId)).toEqual([c.id, a.id]);
      expect((await catalog.hydrate([c.id, b.id, a.id], { languages: ['markdown'] })).map((r) => r.chunkId)).toEqual([b.id]);
    });

    it('filters ids for the dense channel, keeping their order', async () => {
      expect(await catalog.filterIds([c.id, 'unknown', a.id, b.id])).toEqual([c.id, a.id, b.id]);
      expect(await catalog.filterIds([c.id, a.id, b.id], { paths: ['*.ts', '*.md'] })).toEqual([a.id, b.id]);
    });
  });

  describe('chunk catalog: BM25F fields, roles and the repo vocabulary', () => {
    const def = (path: string, text: string, symbols: string[], doc = ''): Chunk => ({ ...chunk(path, text), symbols, doc });
    const summarised = (path: string, doc: string, name: string, bodyLine = ''): Chunk => ({
      ...def(path, `/** ${doc} */\nfunction ${name}() {${bodyLine ? `\n  ${bodyLine}\n` : ''}}`, [name], doc),
      summary: docSummary(doc),
    });
    const docs = {
      // the definition: its name and doc comment say "pause"
      source: def('lib/queue.js', '/** Pause the queue: no new jobs are taken. */\nfunction pause() {\n  this.flag = 1;\n}', ['pause'], 'Pause the queue: no new jobs are taken.'),
      // a test that says "pause" three times in its body
      test: def('test/queue.test.js', "it('works', () => {\n  q.pause();\n  q.pause();\n  expect(q.pause).ok;\n});", []),
      // a guide page
      guide: def('docs/queues.md', '# Queues\n\nCall pause to pause the queue, and pause again.', []),
      // teaches the vocabulary twice: the doc word "halt" goes with the name part "freez"
      teach1: def('lib/a.js', '/** Halt the pool. */\nfunction freezePool() {}', ['freezePool'], 'Halt the pool.'),
      teach2: def('lib/b.js', '/** Halt the group. */\nfunction freezeGroup() {}', ['freezeGroup'], 'Halt the group.'),
      other: def('lib/c.js', '/** Start it. */\nfunction start() {}', ['start'], 'Start it.'),
      // the same doc words twice, once as the summary and once after the examples; the second also says "drain" in its body
      summarised: summarised('lib/d.js', 'Drain the buffer to disk.\n\nExample: see the tests.', 'alpha'),
      mentioned: summarised('lib/e.js', 'Example: see the tests.\n\nDrain the buffer to disk.', 'beta', '// drain'),
      // common words in the name and doc of one definition, against one rare word in another's doc
      nextRun: def('lib/f.js', '/** The next run. */\nfunction nextRun() {}', ['nextRun'], 'The next run.'),
      rareWord: def('lib/g.js', '/** Computed once. */\nfunction computeOnce() {}', ['computeOnce'], 'Computed once.'),
      usesNext: def('lib/h.js', 'const t = next(run, time);', []),
      usesRun: def('lib/i.js', 'run(next, time);', []),
      usesBoth: def('lib/j.js', 'next(); run();', []),
      usesBothAgain: def('lib/k.js', 'run(); next();', []),
    };
    let catalog: ChunkCatalog;

    beforeAll(async () => {
      const part = await writePart(Object.values(docs).map((c) => ({ ...c, role: undefined })));
      catalog = await loadCatalog(db, { ...storeOf(store), parts: [part], learnVocabulary: true });
    });
    afterAll(() => catalog.dispose());

    it('ranks the definition whose name and doc match above a test that only calls it more often', async () => {
      expect(ids(await catalog.bm25('pause', 3))[0]).toBe(docs.source.id);
    });

    it('ranks the definition that says several of the query\'s words in its name and doc above a chunk that says one rare word once', async () => {
      // "comput" occurs in one chunk; "next" and "run" in five. With the plain idf (exponent 1) the rare word alone wins.
      const ranked = ids(await catalog.bm25('compute the next run time', 10));
      expect(ranked[0]).toBe(docs.nextRun.id);
      expect(ranked).toContain(docs.rareWord.id);
    });

    it('ranks a definition whose doc opens with the query\'s words above one that says them further down', async () => {
      expect(ids(await catalog.bm25('drain the buffer', 2))).toEqual([docs.summarised.id, docs.mentioned.id]);
    });

    it('classifies each file when the chunk carries no role, and hydrates the role', async () => {
      expect(catalog.roles([docs.source.id, docs.test.id, docs.guide.id, 'unknown'])).toEqual(['source', 'test', 'docs', 'source']);
      const [row] = await catalog.hydrate([docs.test.id]);
      expect(row.role).toBe('test');
    });

    it('scales each score by its role prior inside the query, and filters.roles selects roles', async () => {
      const plain = await catalog.bm25('pause queue', 3);
      const priors = { source: 1, test: 0, docs: 1, example: 1, benchmark: 1, generated: 1, config: 1, declarations: 1 };
      const withPrior = await catalog.bm25('pause queue', 3, undefined, priors);
      expect(withPrior.find((h) => h.chunkId === docs.test.id)?.score ?? 0).toBe(0);
      expect(withPrior.find((h) => h.chunkId === docs.source.id)!.score).toBeCloseTo(plain.find((h) => h.chunkId === docs.source.id)!.score, 9);
      expect(ids(await catalog.bm25('pause', 10, { roles: ['test'] }))).toEqual([docs.test.id]);
      expect(ids(await catalog.bm25('pause', 10, { roles: ['docs', 'test'] })).sort()).toEqual([docs.test.id, docs.guide.id].sort());
    });

    it('learns which name parts the doc words go with, and expands a query with them', async () => {
      const related = catalog.relatedTerms('halt it', 0.5);
      expect([...related.keys()]).toContain('freez');
      expect(related.get('freez')).toBeGreaterThan(0);
      expect(related.get('freez')).toBeLessThanOrEqual(0.5);
      expect(catalog.relatedTerms('unrelated words', 0.5).size).toBe(0);
    });

    it('matches head terms (synonyms) only where a definition\'s name, definition lines or doc summary hold them', async () => {
      // "freez" is a name part of teach1 and teach2; "drain" is in alpha's summary and only in beta's body and later doc
      const byName = ids(await catalog.bm25('zyxwvut', 10, undefined, undefined, { headTerms: new Map([['freez', 0.6]]) }));
      expect(byName.sort()).toEqual([docs.teach1.id, docs.teach2.id].sort());
      const bySummary = ids(await catalog.bm25('zyxwvut', 10, undefined, undefined, { headTerms: new Map([['drain', 0.6]]) }));
      expect(bySummary).toEqual([docs.summarised.id]);
      // over every field the same term also finds the chunk that says it in its body
      const everywhere = ids(await catalog.bm25('zyxwvut', 10, undefined, undefined, { terms: new Map([['drain', 0.6]]) }));
      expect(everywhere).toContain(docs.mentioned.id);
    });

    it('scores a head term at its weight, below the same word asked for outright', async () => {
      const asked = await catalog.bm25('drain', 10);
      const synonym = await catalog.bm25('zyxwvut', 10, undefined, undefined, { headTerms: new Map([['drain', 0.6]]) });
      const score = (hits: { chunkId: string; score: number }[]) => hits.find((h) => h.chunkId === docs.summarised.id)!.score;
      expect(score(synonym)).toBeGreaterThan(0);
      expect(score(synonym)).toBeLessThan(0.6 * score(asked) + 1e-9);
    });

    it('counts expansion terms at their weight, below the query\'s own', async () => {
      const expanded = await catalog.bm25('halt', 10, undefined, undefined, { terms: new Map([['start', 0.1]]) });
      const score = (id: string) => expanded.find((h) => h.chunkId === id)?.score ?? 0;
      expect(score(docs.other.id)).toBeGreaterThan(0);
      expect(score(docs.other.id)).toBeLessThan(score(docs.teach1.id));
    });
  });
});
