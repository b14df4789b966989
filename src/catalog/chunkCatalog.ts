import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import {
  DOUBLE,
  INTEGER,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { ChannelHit, SearchFilters } from '../contracts/search.js';
import { FILE_ROLES, fileRoleSchema, type FileRole } from '../contracts/chunk.js';
import { tokenize } from '../text/codeTokenizer.js';
import type { SparseVector } from '../contracts/sparse.js';
import { parsePathGlob, re2PathRegex } from '../pathFilter/index.js';
import { sqlIdent, sqlString, type DuckDb } from './duckdb.js';
import { fileExists, planCatalogFile, removeBuildFiles, removeStaleCatalogFiles } from './catalogFile.js';
import { BM25F_FIELDS, BM25_IDF_EXPONENT, BM25_K1, HEAD_FIELDS } from './bm25fFields.js';
import { UnavailableError } from '../errors/unavailableError.js';
import { stringTable, stringTableBuilder, type StringTable } from './stringTable.js';
import { definitionGrouper, definitionGroups, type DefinitionGroups } from './definitionGroups.js';

/**
 * The search read model of one repo version: its Parquet parts loaded into
 * in-memory DuckDB tables once, then queried for BM25, SPLADE and hydration.
 *
 * Tables (names carry a random suffix, so many catalogs share one DuckDB):
 *   files        (file_id, path, language)        filters run here, once per file, not per chunk
 *   chunks       (doc, chunk_id, id_hash, ...)    doc: dense int key in path order; id_hash: hash(chunk_id)
 *   df           (term_id, term, df, idf)         the BM25 vocabulary
 *   postings     (term_id, doc, tf, impact)       sorted by term_id: zone maps skip to a term's rows
 *   head_postings (term_id, doc, impact)          the same over HEAD_FIELDS only, for expansion terms
 *   splade_vocab (term_id, term)
 *   splade       (term_id, doc, weight)           sorted by term_id
 * `impact` is the term's whole BM25 contribution to the doc, idf included:
 * N, avgdl, k1 and b are fixed for the catalog's life, so a query only sums.
 * Terms are resolved to integer ids first, because an IN list of integer
 * constants prunes and compares several times faster than one of strings.
 */

export interface ChunkRow {
  chunkId: string;
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  symbols: string[];
  /** doc comments of the chunk's definitions ('' when none or written before the column existed) */
  doc: string;
  /** the file's role ('source' for parts written before roles existed) */
  role: FileRole;
  content: string;
}

/**
 * Extra BM25 terms for a query (already tokens), each with its weight against
 * 1 for the query's own: `terms` are scored over every field, `headTerms`
 * over `HEAD_FIELDS` only (a definition's name, definition lines and summary).
 */
export interface Bm25Expansion {
  terms?: ReadonlyMap<string, number>;
  headTerms?: ReadonlyMap<string, number>;
}

/** A multiplier per file role, applied to each chunk's BM25F score (1 = unchanged). */
export type RolePriors = Readonly<Record<FileRole, number>>;

export interface ChunkCatalog {
  /** BM25F over code-aware tokens in the fields of `BM25F_FIELDS`; best first. */
  bm25(queryText: string, k: number, filters?: SearchFilters, priors?: RolePriors, expansion?: Bm25Expansion, signal?: AbortSignal): Promise<ChannelHit[]>;
  /** Dot product of the query's SPLADE weights with each chunk's; best first. */
  splade(queryWeights: SparseVector, k: number, filters?: SearchFilters, signal?: AbortSignal): Promise<ChannelHit[]>;
  /** Rows for the ids, in the ids' order; ids that are unknown, deleted or filtered out are dropped. */
  hydrate(chunkIds: string[], filters?: SearchFilters, signal?: AbortSignal): Promise<ChunkRow[]>;
  /** The live chunks of one file, by start line (read_lines rebuilds the indexed text from them). */
  fileChunks(path: string): Promise<ChunkRow[]>;
  /**
   * Live chunks declaring a symbol named `name`, either exactly or as the last
   * part of a qualified name ("take" finds "RateLimiter.take"), by path and line.
   */
  symbolChunks(name: string, limit: number): Promise<ChunkRow[]>;
  /** The ids that are live in this version and pass the filters, in input order (for dense hits). */
  filterIds(chunkIds: string[], filters?: SearchFilters, signal?: AbortSignal): Promise<string[]>;
  /** The definition each id belongs to (from memory): a group id and its line span; null for an unknown id. */
  definitions(chunkIds: string[]): ({ group: number; startLine: number; endLine: number } | null)[];
  /**
   * Identifier parts this repo's doc comments associate with the query's
   * words (see learnVocabulary), as extra BM25 terms of weight `weight` × strength.
   */
  relatedTerms(queryText: string, weight: number): Map<string, number>;
  /** The chunk ids of one definition group, in line order. */
  definitionChunkIds(group: number): string[];
  /** The role of each id's file (from memory, no query); 'source' for an unknown id. */
  roles(chunkIds: string[]): FileRole[];
  /** Live chunks. */
  count(): number;
  /** avgdl and N as used for BM25. */
  stats(): { chunks: number; avgDocLen: number; terms: number };
  /**
   * Estimated bytes this catalog holds in JS memory (the doc -> id list and its
   * index, roles, definition groups, vocabularies). The tables' share is DuckDB's,
   * bounded by its memory_limit when the catalog lives in a file (storeDir).
   */
  memoryBytes(): number;
  /** Drop the tables (or detach the catalog file); safe to call twice. Later queries reject. */
  dispose(): Promise<void>;
}

export interface LoadCatalogOptions {
  /** Absolute paths of the version's Parquet parts, oldest first. */
  parts: string[];
  /** Chunk ids the manifest records as deleted: never returned. */
  deletedChunkIds?: string[];
  /** learn the repo's doc-comment vocabulary for `relatedTerms` (a join over every definition's terms; off = relatedTerms is empty) */
  learnVocabulary?: boolean;
  /**
   * A local directory for this repo's catalog database files. Set: the tables
   * live in a DuckDB file there, attached read-only, so DuckDB's buffer manager
   * pages them in and out within its memory_limit, and a file built once is
   * opened again by later loads of the same parts. Unset: in-memory tables.
   */
  storeDir?: string;
  /**
   * How a missing catalog file is built (storeDir set). Default: in this
   * process, on `db`. The API wires a child process (catalogBuildProcess.ts),
   * so the build's memory, which grows with the corpus, is not the query
   * process's.
   */
  buildFile?: CatalogFileBuilder;
}

/** What a catalog file is built from, and where: into `building`, renamed to `file` when complete. */
export interface CatalogBuildSpec {
  parts: string[];
  deletedChunkIds: string[];
  learnVocabulary: boolean;
  building: string;
  file: string;
}

/** Builds the file of a spec; resolves once `spec.file` exists (or rejects, leaving no file). */
export type CatalogFileBuilder = (spec: CatalogBuildSpec) => Promise<unknown>;

const ROW_COLUMNS = 'c.chunk_id, c.path, c.start_line, c.end_line, c.language, c.symbols, c.content, c.doc_comment, c.role_id';

function toChunkRow([chunkId, path, startLine, endLine, language, symbols, content, doc, roleId]: unknown[]): ChunkRow {
  return {
    chunkId: String(chunkId),
    path: String(path),
    startLine: Number(startLine),
    endLine: Number(endLine),
    language: String(language),
    symbols: (symbols as string[] | null) ?? [],
    doc: doc == null ? '' : String(doc),
    role: FILE_ROLES[Number(roleId)],
    content: String(content),
  };
}

/** perfect_ht_threshold already raised on a pooled connection (a session setting), by value */
const perfectHashSet = new WeakMap<DuckDBConnection, number>();

export async function loadCatalog(db: DuckDb, opts: LoadCatalogOptions): Promise<ChunkCatalog> {
  const prefix = catalogPrefix();
  const plan = opts.storeDir
    ? await planCatalogFile(opts.storeDir, {
        parts: opts.parts,
        deletedChunkIds: opts.deletedChunkIds ?? [],
        learnVocabulary: !!opts.learnVocabulary,
        // postings hold each term's whole BM25F impact: a change of weights must not reuse an old file
        scoring: { fields: BM25F_FIELDS, k1: BM25_K1, idfExponent: BM25_IDF_EXPONENT, headFields: HEAD_FIELDS, roles: FILE_ROLES },
      })
    : null;
  const alias = sqlIdent(prefix);
  const t = catalogTables(prefix, !!plan);

  // Small read-only lookups kept in JS, so a query is one SQL statement: the
  // vocabularies (term -> term_id) and doc -> chunk_id (docs are 0..N-1). At
  // 100k chunks this saves the term lookup and the join back to chunks, a
  // third of a BM25 query; it costs about as much memory as the FAISS id list.
  // term -> term_id: a term's id is its position (term ids number the terms 0..N-1)
  let bm25Vocab: StringTable = stringTable([], { lookup: true });
  let spladeVocab: StringTable = stringTable([], { lookup: true });
  // doc -> chunk id and back, in typed arrays (stringTable.ts): at 1M chunks a string array and a Map were ~200 MB of heap
  let docIds: StringTable = stringTable([], { lookup: true });
  let docRoles = new Uint8Array(0);
  let groups: DefinitionGroups = definitionGroups([]);
  let vocabulary: RepoVocabulary = new Map();
  let jsBytes = 0;
  const spec: CatalogBuildSpec | null = plan && { parts: opts.parts, deletedChunkIds: opts.deletedChunkIds ?? [], learnVocabulary: !!opts.learnVocabulary, ...plan };
  // a builder of its own (another process) is waited for without holding one of the pool's connections
  if (spec && opts.buildFile && !(await fileExists(spec.file))) await opts.buildFile(spec);
  const stats = await db.withConnection(async (conn) => {
    try {
      if (plan) {
        if (!(await fileExists(plan.file))) await buildCatalogFileOn(conn, spec!);
        vocabulary = await attachCatalogFile(conn, plan.file, alias, t);
      } else vocabulary = await createTables(conn, t, opts);
      const r = await conn.runAndReadAll(
        `SELECT (SELECT count(*) FROM ${t.chunks})::INTEGER AS n,
                COALESCE((SELECT avg(doc_len) FROM ${t.chunks}), 0)::DOUBLE AS avgdl,
                (SELECT count(*) FROM ${t.df})::INTEGER AS terms`,
      );
      const row = r.getRowObjectsJS()[0] as { n: number; avgdl: number; terms: number };
      bm25Vocab = await readVocabulary(conn, t.df);
      spladeVocab = await readVocabulary(conn, t.spladeVocab);
      // read in DuckDB's batches: at 1M chunks the whole result as JS rows would be a transient heap of hundreds of MB
      const ids = stringTableBuilder({ lookup: true, expected: row.n });
      docRoles = new Uint8Array(row.n);
      const grouper = definitionGrouper(row.n);
      const result = await conn.stream(`SELECT doc, chunk_id, role_id, path, start_line, end_line, symbols FROM ${t.chunks} ORDER BY doc`);
      let next = 0;
      for await (const batch of result.yieldRowsJs()) {
        for (const [doc, id, role, path, start, end, symbols] of batch) {
          if (Number(doc) !== next) throw new Error('chunk catalog: doc numbers are not 0..N-1');
          ids.push(String(id));
          docRoles[next] = Number(role);
          grouper.add({ path: String(path), startLine: Number(start), endLine: Number(end), symbols: ((symbols as string[] | null) ?? []).map(String) });
          next++;
        }
      }
      if (next !== row.n) throw new Error('chunk catalog: doc numbers are not 0..N-1');
      groups = grouper.groups;
      docIds = ids.finish();
      jsBytes = estimateJsBytes(vocabulary) + bm25Vocab.byteLength + spladeVocab.byteLength + docIds.byteLength + docRoles.byteLength + groups.groupOf.byteLength * 3;
      return { chunks: row.n, avgDocLen: row.avgdl, terms: row.terms };
    } catch (err) {
      // a file's scratch tables are dropped where they were made (attachCatalogFile)
      if (plan) await conn.run(`DETACH DATABASE IF EXISTS ${alias}`).catch(() => {});
      else await dropTables(conn, t);
      if (/Out of Memory Error/.test((err as Error).message)) {
        throw new UnavailableError(
          'catalog-out-of-memory',
          `building the search catalog of ${opts.parts.length} parts needs more memory than DuckDB may use here; raise DUCKDB_MEMORY_LIMIT_MB (docs/memory.md)`,
          { parts: opts.parts.length },
          { cause: err },
        );
      }
      throw err;
    }
  });
  if (plan && opts.storeDir) await removeStaleCatalogFiles(opts.storeDir, plan.file);

  let disposed = false;
  /** Every search query: `signal` (a spent budget) interrupts it in DuckDB. */
  async function read<T>(fn: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (disposed) throw new Error('chunk catalog is disposed');
    return db.withConnection(fn, signal);
  }

  // GROUP BY doc over tens of thousands of postings is the cost of a query. doc
  // is dense in [0, N), so a perfect hash table (an array indexed by doc) can
  // aggregate it; DuckDB only uses one when the key range fits in
  // perfect_ht_threshold bits (default 12, i.e. 4096 docs). Raise it to cover
  // N, within a bound that keeps the table small (2^20 slots).
  const perfectBits = Math.min(20, Math.max(12, Math.ceil(Math.log2(stats.chunks + 1))));
  async function withPerfectHash(conn: DuckDBConnection): Promise<void> {
    if ((perfectHashSet.get(conn) ?? 12) >= perfectBits) return;
    await conn.run(`SET perfect_ht_threshold = ${perfectBits}`);
    perfectHashSet.set(conn, perfectBits);
  }

  /** ` AND <docExpr> IN (...)` restricting to the filters, or '' when there are none. */
  function docFilter(filters: SearchFilters | undefined, q: Query, docExpr: string): string {
    const where = fileWhere(filters, q);
    if (!where) return '';
    return ` AND ${docExpr} IN (SELECT c.doc FROM ${t.chunks} c WHERE c.file_id IN (SELECT f.file_id FROM ${t.files} f WHERE ${where}))`;
  }

  /** term -> term_id for the terms the vocabulary knows. */
  function termIds(vocab: StringTable, terms: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const term of terms) {
      const id = vocab.indexOf(term);
      if (id >= 0) out.set(term, id);
    }
    return out;
  }

  /**
   * Sum `scoreExpr` per doc over the postings of the given term ids, best k
   * first. The term ids go in as an IN list of constants so the scan of the
   * term-sorted table only reads those terms' rows.
   */
  function topDocs(
    conn: DuckDBConnection,
    table: string,
    scoreExpr: string,
    ids: number[],
    k: number,
    filters: SearchFilters | undefined,
    q: Query,
    extraFrom = '',
  ): Promise<ChannelHit[]> {
    return sumPerDoc(conn, `${table} p${extraFrom}`, `p.term_id IN (${q.list(ids, INTEGER)})`, scoreExpr, k, filters, q);
  }

  /** Sum `scoreExpr` per doc over the rows of `from` (aliased p: doc, and what scoreExpr reads) that pass `where`, best k first. */
  async function sumPerDoc(
    conn: DuckDBConnection,
    from: string,
    where: string,
    scoreExpr: string,
    k: number,
    filters: SearchFilters | undefined,
    q: Query,
  ): Promise<ChannelHit[]> {
    await withPerfectHash(conn);
    const r = await conn.runAndReadAll(
      `SELECT p.doc, sum(${scoreExpr}) AS score FROM ${from}
       WHERE ${where}${docFilter(filters, q, 'p.doc')}
       GROUP BY p.doc ORDER BY score DESC, p.doc LIMIT ${q.bind(Math.floor(k), INTEGER)}`,
      q.params,
      q.types,
    );
    return r.getRowsJS().map(([doc, score]) => ({ chunkId: docIds.at(Number(doc)), score: Number(score) }));
  }

  /** Chunk rows whose id is in `ids` (and passing the filters), unordered. */
  async function rowsByIds(conn: DuckDBConnection, columns: string, ids: string[], filters: SearchFilters | undefined) {
    const q = newQuery();
    // An IN list on the integer hash prunes cheaply; the exact id check is done by the caller.
    const hashes = ids.map((id) => `hash(${q.bind(id, VARCHAR)})`).join(', ');
    const r = await conn.runAndReadAll(
      `SELECT ${columns} FROM ${t.chunks} c WHERE c.id_hash IN (${hashes})${docFilter(filters, q, 'c.doc')}`,
      q.params,
      q.types,
    );
    return r.getRowsJS();
  }

  return {
    async bm25(queryText, k, filters, priors, expansion, signal) {
      const terms = [...new Set(tokenize(queryText))];
      if (k <= 0) return [];
      // the query's own terms count 1 over every field; expansion terms (already tokens) count their weight,
      // `terms` over every field, `headTerms` over the head fields only
      const own = new Map<number, number>();
      for (const id of termIds(bm25Vocab, terms).values()) own.set(id, 1);
      const weighted = (extra: ReadonlyMap<string, number> | undefined, skip: Map<number, number>) => {
        const out = new Map<number, number>();
        for (const [term, w] of extra ?? []) {
          const id = bm25Vocab.indexOf(term);
          if (id >= 0 && !skip.has(id) && !out.has(id) && Number.isFinite(w) && w > 0) out.set(id, w);
        }
        return out;
      };
      const all = new Map([...own, ...weighted(expansion?.terms, own)]);
      const head = weighted(expansion?.headTerms, all);
      if (all.size === 0 && head.size === 0) return [];
      // the prior is a constant per role, so it scales the sum inside the same scan
      const prior = priors ? ` * [${FILE_ROLES.map((r) => finite(priors[r], 'a role prior')).join(', ')}][p.role_id + 1]` : '';
      return read(async (conn) => {
        const ids = [...all.keys()];
        if (head.size === 0 && [...all.values()].every((w) => w === 1)) return topDocs(conn, t.postings, `p.impact${prior}`, ids, k, filters, newQuery());
        const q = newQuery();
        // each table's rows for its terms, one IN list per weight (a constant factor: no join per row), summed per doc
        const parts = (table: string, terms: Map<number, number>) => {
          const byWeight = new Map<number, number[]>();
          for (const [id, w] of terms) {
            if (!byWeight.has(w)) byWeight.set(w, []);
            byWeight.get(w)!.push(id);
          }
          return [...byWeight].map(
            ([w, ids]) =>
              `SELECT p.doc, p.impact${w === 1 ? '' : ` * ${finite(w, 'an expansion weight')}`} AS impact, p.role_id FROM ${table} p WHERE p.term_id IN (${q.list(ids, INTEGER)})`,
          );
        };
        const union = [...parts(t.postings, all), ...parts(t.headPostings, head)].join(' UNION ALL ');
        return sumPerDoc(conn, `(${union}) p`, 'true', `p.impact${prior}`, k, filters, q);
      }, signal);
    },

    definitions: (chunkIds) =>
      chunkIds.map((id) => {
        const doc = docIds.indexOf(id);
        if (doc < 0) return null;
        const g = groups.groupOf[doc];
        return { group: g, startLine: groups.startLine[g], endLine: groups.endLine[g] };
      }),

    definitionChunkIds(group) {
      const out: string[] = [];
      for (let doc = group; doc < docIds.size && groups.groupOf[doc] === group; doc++) out.push(docIds.at(doc));
      return out;
    },

    relatedTerms(queryText, weight) {
      const own = new Set(tokenize(queryText));
      const out = new Map<string, number>();
      for (const term of own) {
        for (const [part, npmi] of vocabulary.get(term) ?? []) {
          if (!own.has(part)) out.set(part, Math.max(out.get(part) ?? 0, weight * npmi));
        }
      }
      return out;
    },

    roles: (chunkIds) =>
      chunkIds.map((id) => {
        const doc = docIds.indexOf(id);
        return doc < 0 ? 'source' : FILE_ROLES[docRoles[doc]];
      }),

    async splade(queryWeights, k, filters, signal) {
      const entries = Object.entries(queryWeights).filter(([, w]) => Number.isFinite(w) && w !== 0);
      if (entries.length === 0 || k <= 0) return [];
      return read(async (conn) => {
        const ids = termIds(spladeVocab, entries.map(([term]) => term));
        const weighted = entries.filter(([term]) => ids.has(term));
        if (weighted.length === 0) return [];
        const q = newQuery();
        const qIds = q.bind(listValue(weighted.map(([term]) => ids.get(term)!)), LIST(INTEGER));
        const qWeights = q.bind(listValue(weighted.map(([, w]) => w)), LIST(DOUBLE));
        const weights = ` JOIN (SELECT unnest(${qIds}) AS term_id, unnest(${qWeights}) AS w) qw ON qw.term_id = p.term_id`;
        return topDocs(conn, t.splade, 'p.weight * qw.w', weighted.map(([term]) => ids.get(term)!), k, filters, q, weights);
      }, signal);
    },

    async hydrate(chunkIds, filters, signal) {
      if (chunkIds.length === 0) return [];
      const rows = await read((conn) => rowsByIds(conn, ROW_COLUMNS, chunkIds, filters), signal);
      const byId = new Map<string, ChunkRow>();
      for (const row of rows.map(toChunkRow)) byId.set(row.chunkId, row);
      return inInputOrder(chunkIds, byId);
    },

    async fileChunks(filePath) {
      const q = newQuery();
      const rows = await read(async (conn) =>
        (
          await conn.runAndReadAll(
            `SELECT ${ROW_COLUMNS} FROM ${t.chunks} c WHERE c.path = ${q.bind(filePath, VARCHAR)} ORDER BY c.start_line, c.end_line`,
            q.params,
            q.types,
          )
        ).getRowsJS(),
      );
      return rows.map(toChunkRow);
    },

    async symbolChunks(name, limit) {
      const q = newQuery();
      const exact = q.bind(name, VARCHAR);
      const suffix = q.bind(`%.${name.replace(/[\\%_]/g, '\\$&')}`, VARCHAR);
      const rows = await read(async (conn) =>
        (
          await conn.runAndReadAll(
            `SELECT ${ROW_COLUMNS} FROM ${t.chunks} c
             WHERE len(list_filter(c.symbols, s -> s = ${exact} OR s LIKE ${suffix} ESCAPE '\\')) > 0
             ORDER BY c.path, c.start_line LIMIT ${q.bind(Math.max(1, Math.floor(limit)), INTEGER)}`,
            q.params,
            q.types,
          )
        ).getRowsJS(),
      );
      return rows.map(toChunkRow);
    },

    async filterIds(chunkIds, filters, signal) {
      if (chunkIds.length === 0) return [];
      const rows = await read((conn) => rowsByIds(conn, 'c.chunk_id', chunkIds, filters), signal);
      const found = new Map(rows.map(([id]) => [String(id), String(id)]));
      return inInputOrder(chunkIds, found);
    },

    count: () => stats.chunks,
    stats: () => ({ ...stats }),

    async dispose() {
      if (disposed) return;
      disposed = true;
      await db.withConnection((conn) => (plan ? conn.run(`DETACH DATABASE IF EXISTS ${alias}`).then(() => {}) : dropTables(conn, t)));
    },

    memoryBytes: () => jsBytes,
  };
}

type Tables = Record<
  | 'keys'
  | 'partNos'
  | 'files'
  | 'chunks'
  | 'df'
  | 'postings'
  | 'headPostings'
  | 'spladeVocab'
  | 'splade'
  | 'bm25Raw'
  | 'fieldLen'
  | 'spladeRaw'
  | 'idHashIndex'
  | 'vocabulary',
  string
>;

function catalogPrefix(): string {
  return `catalog_${randomBytes(6).toString('hex')}`;
}

/**
 * The tables of a catalog whose names start with `prefix`. With a file, the
 * search tables are `<alias>.<name>` in the attached database (the same names
 * in every file, whoever built it) and the build's intermediate rows (a row
 * per chunk, field and term) go to a scratch database file beside it, which
 * DuckDB writes out past its memory limit (in-memory tables could not spill).
 */
function catalogTables(prefix: string, inFile: boolean): Tables {
  const alias = sqlIdent(prefix);
  const scratchAlias = sqlIdent(`${prefix}_scratch`);
  const kept = (name: string) => (inFile ? `${alias}.${sqlIdent(name)}` : sqlIdent(`${prefix}_${name}`));
  const scratch = (name: string) => (inFile ? `${scratchAlias}.${sqlIdent(name)}` : sqlIdent(`${prefix}_${name}`));
  return {
    keys: scratch('keys'),
    partNos: scratch('part_nos'),
    files: kept('files'),
    chunks: kept('chunks'),
    df: kept('df'),
    postings: kept('postings'),
    headPostings: kept('head_postings'),
    spladeVocab: kept('splade_vocab'),
    splade: kept('splade'),
    bm25Raw: scratch('bm25_raw'),
    fieldLen: scratch('field_len'),
    idHashIndex: sqlIdent(`${prefix}_chunks_id_hash`),
    spladeRaw: scratch('splade_raw'),
    vocabulary: kept('vocabulary'),
  };
}

/**
 * Build a catalog's database file on this connection: into the spec's private
 * file, checkpointed and detached, then renamed into place, so a reader never
 * attaches a half-built file. Used in-process (tests, the default) and by the
 * build child process (catalogBuildChild.ts).
 */
export async function buildCatalogFileOn(conn: DuckDBConnection, spec: CatalogBuildSpec): Promise<void> {
  const prefix = catalogPrefix();
  const alias = sqlIdent(prefix);
  const scratchAlias = sqlIdent(`${prefix}_scratch`);
  const t = catalogTables(prefix, true);
  const scratchFile = `${spec.building}.scratch`;
  await conn.run(`ATTACH ${sqlString(spec.building)} AS ${alias}`);
  try {
    await conn.run(`ATTACH ${sqlString(scratchFile)} AS ${scratchAlias}`);
    const vocabulary = await createTables(conn, t, spec);
    await conn.run(`CREATE TABLE ${t.vocabulary} (word VARCHAR, part VARCHAR, npmi DOUBLE)`);
    const rows = [...vocabulary].flatMap(([word, parts]) => parts.map(([part, npmi]) => [word, part, npmi] as const));
    if (rows.length > 0) {
      await conn.run(
        `INSERT INTO ${t.vocabulary} SELECT unnest($w), unnest($p), unnest($n)`,
        { w: listValue(rows.map((r) => r[0])), p: listValue(rows.map((r) => r[1])), n: listValue(rows.map((r) => r[2])) },
        { w: LIST(VARCHAR), p: LIST(VARCHAR), n: LIST(DOUBLE) },
      );
    }
    await conn.run(`DETACH DATABASE ${alias}`);
    await fs.rename(spec.building, spec.file);
  } catch (err) {
    await conn.run(`DETACH DATABASE IF EXISTS ${alias}`).catch(() => {});
    await removeBuildFiles(spec.building);
    throw err;
  } finally {
    await conn.run(`DETACH DATABASE IF EXISTS ${scratchAlias}`).catch(() => {});
    await fs.rm(scratchFile, { force: true });
    await fs.rm(`${scratchFile}.wal`, { force: true });
  }
}

/** Attach a built catalog file read-only and read its learned vocabulary. */
async function attachCatalogFile(conn: DuckDBConnection, file: string, alias: string, t: Tables): Promise<RepoVocabulary> {
  await conn.run(`ATTACH ${sqlString(file)} AS ${alias} (READ_ONLY)`);
  const vocabulary: RepoVocabulary = new Map();
  for (const [word, part, npmi] of (await conn.runAndReadAll(`SELECT word, part, npmi FROM ${t.vocabulary} ORDER BY word, npmi DESC, part`)).getRowsJS()) {
    const list = vocabulary.get(String(word)) ?? [];
    list.push([String(part), Number(npmi)]);
    vocabulary.set(String(word), list);
  }
  return vocabulary;
}

/**
 * Build the tables from the parts. Dedup and doc numbering run on a narrow
 * pass (ids, paths, row positions) because windows over the wide rows
 * (content, term maps) cost seconds at 100k chunks; the wide columns are then
 * read once per table, joined to the surviving (file, row) keys.
 */
async function createTables(conn: DuckDBConnection, t: Tables, opts: Pick<LoadCatalogOptions, 'parts' | 'deletedChunkIds' | 'learnVocabulary'>): Promise<RepoVocabulary> {
  await conn.run(`CREATE TABLE ${t.keys} (part_no INTEGER, file_row_number BIGINT, doc INTEGER, path VARCHAR, language VARCHAR, role_id UTINYINT)`);
  await conn.run(`CREATE TABLE ${t.files} (file_id INTEGER, path VARCHAR, language VARCHAR, role_id UTINYINT)`);
  await conn.run(`CREATE TABLE ${t.chunks} (
    doc INTEGER, chunk_id VARCHAR, id_hash UBIGINT, file_id INTEGER, path VARCHAR, start_line INTEGER, end_line INTEGER,
    language VARCHAR, symbols VARCHAR[], content VARCHAR, doc_len INTEGER, doc_comment VARCHAR, role_id UTINYINT)`);
  await conn.run(`CREATE TABLE ${t.df} (term_id INTEGER, term VARCHAR, df INTEGER, idf DOUBLE)`);
  await conn.run(`CREATE TABLE ${t.postings} (term_id INTEGER, doc INTEGER, tf INTEGER, impact DOUBLE, role_id UTINYINT)`);
  await conn.run(`CREATE TABLE ${t.headPostings} (term_id INTEGER, doc INTEGER, impact DOUBLE, role_id UTINYINT)`);
  await conn.run(`CREATE TABLE ${t.spladeVocab} (term_id INTEGER, term VARCHAR)`);
  await conn.run(`CREATE TABLE ${t.splade} (term_id INTEGER, doc INTEGER, weight FLOAT)`);
  if (opts.parts.length === 0) return new Map();

  const partsParam = { parts: listValue(opts.parts) };
  const partsType = { parts: LIST(VARCHAR) };
  // each part's position in the list, joined by hash: rows then carry a small integer, not
  // their file name, and "the part listed last wins" needs no scan of the list per row
  await conn.run(`CREATE TABLE ${t.partNos} AS SELECT unnest($parts) AS filename, unnest(range(1, len($parts) + 1))::INTEGER AS part_no`, partsParam, partsType);
  const columns = new Set(
    (await conn.runAndReadAll(`SELECT DISTINCT name FROM parquet_schema($parts)`, partsParam, partsType)).getRowsJS().map(([n]) => String(n)),
  );
  // parts written before the role column existed: every chunk is source
  const roleColumn = columns.has('role') ? 'role' : 'NULL::VARCHAR AS role';
  const sqlRoleList = `[${FILE_ROLES.map((r) => `'${r}'`).join(', ')}]`;
  // One row per chunk id: a chunk can sit in several parts (an unchanged file
  // re-indexed, a retried run); the part listed last wins, its line numbers are newest.
  await conn.run(
    `INSERT INTO ${t.keys}
     SELECT part_no, file_row_number, (row_number() OVER (ORDER BY path, start_line, chunk_id) - 1)::INTEGER, path, language,
            COALESCE(list_position(${sqlRoleList}, role) - 1, 0)::UTINYINT
     FROM (
       SELECT chunk_id, path, start_line, language, ${roleColumn}, pn.part_no, file_row_number
       FROM read_parquet($parts, filename = true, file_row_number = true, union_by_name = true) JOIN ${t.partNos} pn USING (filename)
       WHERE chunk_id NOT IN (SELECT unnest($deleted))
       QUALIFY row_number() OVER (PARTITION BY chunk_id ORDER BY pn.part_no DESC) = 1
     )`,
    { ...partsParam, deleted: listValue(opts.deletedChunkIds ?? []) },
    { ...partsType, deleted: LIST(VARCHAR) },
  );
  /** The parts' rows that survived dedup and deletion, as `r`, with their doc number. */
  // byName: parts written before a column existed (doc_comment) read it as NULL
  const live = (columns: string[], byName = false) =>
    `(SELECT k.doc, ${columns.map((c) => `p.${c}`).join(', ')}
      FROM read_parquet($parts, filename = true, file_row_number = true${byName ? ', union_by_name = true' : ''}) p
      JOIN ${t.partNos} pn ON pn.filename = p.filename
      JOIN ${t.keys} k ON k.part_no = pn.part_no AND k.file_row_number = p.file_row_number) r`;
  const readParts = (sql: string) => conn.run(sql, partsParam, partsType);

  await conn.run(`INSERT INTO ${t.files}
    SELECT (row_number() OVER (ORDER BY path, language) - 1)::INTEGER, path, language, max(role_id)
    FROM ${t.keys} GROUP BY path, language`);

  await readParts(`INSERT INTO ${t.chunks}
    SELECT r.doc, r.chunk_id, hash(r.chunk_id), f.file_id, r.path, r.start_line, r.end_line,
           r.language, r.symbols, r.content, r.doc_len, r.doc_comment, f.role_id
    FROM ${live(['chunk_id', 'path', 'start_line', 'end_line', 'language', 'symbols', 'content', 'doc_len', 'doc_comment'], true)}
    JOIN ${t.files} f ON f.path = r.path AND f.language = r.language`);
  // Hydration looks up a handful of ids: an ART index turns that into an index
  // scan that fetches just those rows, instead of a scan that decompresses the
  // content of every vector holding a match (4-5x faster at 100k chunks).
  await conn.run(`CREATE INDEX ${t.idHashIndex} ON ${t.chunks} (id_hash)`);

  // BM25F: one row per (doc, field, term); a field's tf is normalised by its
  // own length against its own average, weighted, and summed over fields
  // before the one saturation. unnest(map_entries(...), recursive) is cheaper
  // than zipping map_keys/map_values unnests. Parts written before a field
  // column existed read it as NULL (union_by_name) and add nothing.
  const fields = BM25F_FIELDS.map((f, i) => ({ ...f, i })).filter((f) => columns.has(f.column));
  await readParts(`CREATE TABLE ${t.bm25Raw} AS
    ${fields.map(
      (f) => `SELECT doc, ${f.i}::UTINYINT AS field, key AS term, value AS tf
      FROM (SELECT r.doc, unnest(map_entries(r.${f.column}), recursive := true) FROM ${live([f.column], true)} WHERE r.${f.column} IS NOT NULL)`,
    ).join('\n    UNION ALL\n    ')}`);
  const fieldParams = `(SELECT unnest([${BM25F_FIELDS.map((_, i) => i).join(', ')}])::UTINYINT AS field,
      unnest([${BM25F_FIELDS.map((f) => f.weight).join(', ')}])::DOUBLE AS weight,
      unnest([${BM25F_FIELDS.map((f) => f.b).join(', ')}])::DOUBLE AS b)`;
  await conn.run(`CREATE TABLE ${t.fieldLen} AS
    SELECT doc, field, sum(tf)::INTEGER AS len FROM ${t.bm25Raw} GROUP BY doc, field`);
  await conn.run(`INSERT INTO ${t.df}
    SELECT (row_number() OVER (ORDER BY term) - 1)::INTEGER, term, df,
           ln(1 + ((SELECT count(*) FROM ${t.chunks}) - df + 0.5) / (df + 0.5))
    FROM (SELECT term, count(DISTINCT doc)::INTEGER AS df FROM ${t.bm25Raw} GROUP BY term)`);
  // Clustered by term_id only: the order of docs within a term does not matter to a sum.
  // The head postings are the same sum over the head fields' rows alone: a small share of the rows, so a second
  // pass over the raw rows that keeps only those costs less than carrying a second sum through the big one.
  const postingsOf = (where: string, withTf: boolean) => `
    WITH avg_len AS (SELECT field, sum(len)::DOUBLE / (SELECT count(*) FROM ${t.chunks}) AS avg FROM ${t.fieldLen} GROUP BY field),
    weighted AS (
      SELECT r.doc, r.term, sum(r.tf)::INTEGER AS tf,
             sum(fp.weight * r.tf / ((1 - fp.b) + fp.b * l.len / a.avg)) AS wtf
      FROM ${t.bm25Raw} r
      JOIN ${t.fieldLen} l ON l.doc = r.doc AND l.field = r.field
      JOIN avg_len a ON a.field = r.field
      JOIN ${fieldParams} fp ON fp.field = r.field
      ${where}
      GROUP BY r.doc, r.term)
    SELECT d.term_id, w.doc,${withTf ? ' w.tf,' : ''} pow(d.idf, ${BM25_IDF_EXPONENT}) * w.wtf * ${BM25_K1 + 1} / (w.wtf + ${BM25_K1}), c.role_id
    FROM weighted w JOIN ${t.df} d ON d.term = w.term JOIN ${t.chunks} c ON c.doc = w.doc
    ORDER BY d.term_id`;
  await conn.run(`INSERT INTO ${t.postings} ${postingsOf('', true)}`);
  const headIds = fields.filter((f) => HEAD_FIELDS.includes(f.column)).map((f) => f.i);
  if (headIds.length) {
    await conn.run(`INSERT INTO ${t.headPostings} ${postingsOf(`WHERE r.field IN (${headIds.join(', ')})`, false)}`);
  }
  const vocabulary = opts.learnVocabulary ? await learnVocabulary(conn, t.bm25Raw, fields) : new Map();
  await conn.run(`DROP TABLE ${t.bm25Raw}`);
  await conn.run(`DROP TABLE ${t.fieldLen}`);

  await readParts(`CREATE TABLE ${t.spladeRaw} AS
    SELECT doc, key AS term, value AS weight
    FROM (SELECT r.doc, unnest(map_entries(r.splade), recursive := true) FROM ${live(['splade'])} WHERE r.splade IS NOT NULL)`);
  await conn.run(`INSERT INTO ${t.spladeVocab}
    SELECT (row_number() OVER (ORDER BY term) - 1)::INTEGER, term FROM (SELECT DISTINCT term FROM ${t.spladeRaw})`);
  await conn.run(`INSERT INTO ${t.splade}
    SELECT v.term_id, r.doc, r.weight FROM ${t.spladeRaw} r JOIN ${t.spladeVocab} v ON v.term = r.term
    ORDER BY v.term_id`);
  await conn.run(`DROP TABLE ${t.spladeRaw}`);
  await conn.run(`DROP TABLE ${t.keys}`);
  await conn.run(`DROP TABLE ${t.partNos}`);
  return vocabulary;
}

/**
 * V8's cost of the learned vocabulary (a Map of small arrays), roughly: a
 * one-byte string is its length plus a 16-byte header, an array slot 8 bytes,
 * a Map entry about 40 bytes with its hash table (measured with
 * process.memoryUsage at 100k chunks). The other lookups are string tables,
 * which know their size.
 */
function estimateJsBytes(related: RepoVocabulary): number {
  let bytes = 0;
  for (const [word, parts] of related) bytes += word.length + 56 + parts.reduce((s, [p]) => s + p.length + 48, 0);
  return bytes;
}

/** doc-comment term -> identifier-part terms it goes with in this repo, each with its strength (NPMI, 0..1). */
export type RepoVocabulary = Map<string, [string, number][]>;

const VOCAB_MIN_PAIRS = 2;
const VOCAB_MIN_NPMI = 0.3;
const VOCAB_PER_TERM = 3;

/**
 * What a repo teaches about its own words: how the words of its doc comments
 * co-occur with the parts of the names they document, inside the same
 * definitions ("Pauses the worker: stops processing jobs" above `pause`
 * teaches stop -> paus). Strength is normalised PMI over the definitions that
 * have a doc comment; pairs seen once, weak ones and a word with itself are
 * left out.
 */
async function learnVocabulary(conn: DuckDBConnection, raw: string, fields: { column: string; i: number }[]): Promise<RepoVocabulary> {
  const docField = fields.find((f) => f.column === 'doc_terms');
  const symbolField = fields.find((f) => f.column === 'symbol_terms');
  if (!docField || !symbolField) return new Map();
  const r = await conn.runAndReadAll(`
    WITH d AS (SELECT DISTINCT doc, term FROM ${raw} WHERE field = ${docField.i}),
    s AS (SELECT DISTINCT doc, term FROM ${raw} WHERE field = ${symbolField.i} AND doc IN (SELECT doc FROM d)),
    n AS (SELECT count(DISTINCT doc)::DOUBLE AS n FROM s),
    pd AS (SELECT term, count(*) AS n FROM d WHERE doc IN (SELECT doc FROM s) GROUP BY term),
    ps AS (SELECT term, count(*) AS n FROM s GROUP BY term),
    pairs AS (
      SELECT d.term AS word, s.term AS part, count(*) AS n FROM d JOIN s ON s.doc = d.doc
      WHERE d.term <> s.term GROUP BY d.term, s.term HAVING count(*) >= ${VOCAB_MIN_PAIRS}),
    scored AS (
      SELECT p.word, p.part, ln(p.n * n.n / (pd.n * ps.n)) / -ln(p.n / n.n) AS npmi
      FROM pairs p, n JOIN pd ON pd.term = p.word JOIN ps ON ps.term = p.part
      WHERE p.n < n.n)
    SELECT word, part, npmi FROM scored WHERE npmi >= ${VOCAB_MIN_NPMI}
    QUALIFY row_number() OVER (PARTITION BY word ORDER BY npmi DESC, part) <= ${VOCAB_PER_TERM}`);
  const vocab: RepoVocabulary = new Map();
  for (const [word, part, npmi] of r.getRowsJS()) {
    const list = vocab.get(String(word)) ?? [];
    list.push([String(part), Number(npmi)]);
    vocab.set(String(word), list);
  }
  return vocab;
}

/** A vocabulary table (term_id 0..N-1) as a string table, read in DuckDB's batches: at 1M chunks it holds millions of terms. */
async function readVocabulary(conn: DuckDBConnection, table: string): Promise<StringTable> {
  const out = stringTableBuilder({ lookup: true });
  let next = 0;
  const result = await conn.stream(`SELECT term, term_id FROM ${table} ORDER BY term_id`);
  for await (const batch of result.yieldRowsJs()) {
    for (const [term, id] of batch) {
      if (Number(id) !== next++) throw new Error(`chunk catalog: the term ids of ${table} are not 0..N-1`);
      out.push(String(term));
    }
  }
  return out.finish();
}

async function dropTables(conn: DuckDBConnection, t: Tables): Promise<void> {
  // the index goes with its table
  for (const [name, table] of Object.entries(t)) if (name !== 'idHashIndex' && table) await conn.run(`DROP TABLE IF EXISTS ${table}`);
}

/** Named parameters for one statement: `bind` returns the `$pN` placeholder. */
interface Query {
  params: Record<string, DuckDBValue>;
  types: Record<string, DuckDBType>;
  bind(value: DuckDBValue, type: DuckDBType): string;
  /** `$p0, $p1, ...`: one constant per value, which the planner can push into a scan. */
  list(values: DuckDBValue[], type: DuckDBType): string;
}

function newQuery(): Query {
  const q: Query = {
    params: {},
    types: {},
    bind(value, type) {
      const name = `p${Object.keys(q.params).length}`;
      q.params[name] = value;
      q.types[name] = type;
      return `$${name}`;
    },
    list: (values, type) => values.map((v) => q.bind(v, type)).join(', '),
  };
  return q;
}

/** The SQL condition on files `f` for the filters, binding its values; '' when nothing filters. */
function fileWhere(filters: SearchFilters | undefined, q: Query): string {
  const conds: string[] = [];
  if (filters?.paths && filters.paths.length > 0) {
    const re = re2PathRegex(filters.paths.map(parsePathGlob));
    conds.push(`regexp_full_match(f.path, ${q.bind(re, VARCHAR)})`);
  }
  if (filters?.languages && filters.languages.length > 0) {
    conds.push(`list_contains(${q.bind(listValue(filters.languages), LIST(VARCHAR))}, f.language)`);
  }
  if (filters?.roles && filters.roles.length > 0) {
    const roleIds = filters.roles.map((r) => FILE_ROLES.indexOf(fileRoleSchema.parse(r)));
    conds.push(`list_contains(${q.bind(listValue(roleIds), LIST(INTEGER))}, f.role_id::INTEGER)`);
  }
  return conds.join(' AND ');
}

/** A prior as a SQL literal: a number, never NaN or Infinity. */
function finite(n: number, what: string): string {
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a finite number >= 0, got ${n}`);
  return String(n);
}

function inInputOrder<T>(ids: string[], byId: Map<string, T>): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    const row = byId.get(id);
    if (row && !seen.has(id)) {
      seen.add(id);
      out.push(row);
    }
  }
  return out;
}
