import { randomBytes } from 'node:crypto';
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
import type { ChannelHit, SearchFilters } from '../retrieval/channel.js';
import { tokenize } from '../retrieval/codeTokenizer.js';
import type { SparseVector } from '../sparse/port.js';
import { sqlIdent, type DuckDb } from './duckdb.js';

/**
 * The search read model of one repo version: its Parquet parts loaded into
 * in-memory DuckDB tables once, then queried for BM25, SPLADE and hydration.
 *
 * Tables (names carry a random suffix, so many catalogs share one DuckDB):
 *   files    (file_id, path, language)            filters run here, once per file, not per chunk
 *   chunks   (doc, chunk_id, file_id, path, ...)  doc is a dense int key, in path order
 *   df       (term, df, idf)
 *   postings (term, doc, tf, impact)              sorted by term: zone maps skip to a term's rows
 *   splade   (term, doc, weight)                  sorted by term
 * `impact` is the term's full BM25 contribution to the doc, idf included;
 * N, avgdl, k1 and b are fixed for the catalog's life, so a query only sums.
 */

export interface ChunkRow {
  chunkId: string;
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  symbols: string[];
  content: string;
}

export interface ChunkCatalog {
  /** Okapi BM25 over code-aware tokens (k1 = 1.2, b = 0.75); best first. */
  bm25(queryText: string, k: number, filters?: SearchFilters): Promise<ChannelHit[]>;
  /** Dot product of the query's SPLADE weights with each chunk's; best first. */
  splade(queryWeights: SparseVector, k: number, filters?: SearchFilters): Promise<ChannelHit[]>;
  /** Rows for the ids, in the ids' order; ids that are unknown, deleted or filtered out are dropped. */
  hydrate(chunkIds: string[], filters?: SearchFilters): Promise<ChunkRow[]>;
  /** The ids that are live in this version and pass the filters, in input order (for dense hits). */
  filterIds(chunkIds: string[], filters?: SearchFilters): Promise<string[]>;
  /** Live chunks. */
  count(): number;
  /** avgdl and N as used for BM25. */
  stats(): { chunks: number; avgDocLen: number; terms: number };
  /** Drop the tables; safe to call twice. Later queries reject. */
  dispose(): Promise<void>;
}

export interface LoadCatalogOptions {
  /** Absolute paths of the version's Parquet parts, oldest first. */
  parts: string[];
  /** Chunk ids the manifest records as deleted: never returned. */
  deletedChunkIds?: string[];
}

const K1 = 1.2;
const B = 0.75;

type Params = Record<string, DuckDBValue>;
type Types = Record<string, DuckDBType>;

export async function loadCatalog(db: DuckDb, opts: LoadCatalogOptions): Promise<ChunkCatalog> {
  const prefix = `catalog_${randomBytes(6).toString('hex')}`;
  const t = {
    stage: sqlIdent(`${prefix}_stage`),
    files: sqlIdent(`${prefix}_files`),
    chunks: sqlIdent(`${prefix}_chunks`),
    df: sqlIdent(`${prefix}_df`),
    postings: sqlIdent(`${prefix}_postings`),
    splade: sqlIdent(`${prefix}_splade`),
  };

  const stats = await db.withConnection(async (conn) => {
    try {
      await createTables(conn, t, opts);
      const r = await conn.runAndReadAll(
        `SELECT (SELECT count(*) FROM ${t.chunks})::INTEGER AS n,
                COALESCE((SELECT avg(doc_len) FROM ${t.chunks}), 0)::DOUBLE AS avgdl,
                (SELECT count(*) FROM ${t.df})::INTEGER AS terms`,
      );
      const row = r.getRowObjectsJS()[0] as { n: number; avgdl: number; terms: number };
      return { chunks: row.n, avgDocLen: row.avgdl, terms: row.terms };
    } catch (err) {
      await dropTables(conn, t);
      throw err;
    }
  });

  let disposed = false;
  async function read<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (disposed) throw new Error('chunk catalog is disposed');
    return db.withConnection(fn);
  }

  /** `c.doc IN (...)` restricting to the filters, or '' when there are none. */
  function docFilter(filters: SearchFilters | undefined, params: Params, types: Types, docExpr: string): string {
    const where = fileWhere(filters, params, types);
    if (!where) return '';
    return ` AND ${docExpr} IN (SELECT c.doc FROM ${t.chunks} c WHERE c.file_id IN (SELECT f.file_id FROM ${t.files} f WHERE ${where}))`;
  }

  async function topK(sql: string, params: Params, types: Types): Promise<ChannelHit[]> {
    return read(async (conn) => {
      const r = await conn.runAndReadAll(sql, params, types);
      return r.getRowsJS().map(([chunkId, score]) => ({ chunkId: String(chunkId), score: Number(score) }));
    });
  }

  return {
    async bm25(queryText, k, filters) {
      const terms = [...new Set(tokenize(queryText))];
      if (terms.length === 0 || k <= 0) return [];
      const params: Params = { k };
      const types: Types = { k: INTEGER };
      const inList = placeholders('t', terms, params, types);
      // Terms as an IN list of constants (not a join) so the scan of the
      // term-sorted postings is pruned by zone maps to those terms' rows.
      return topK(
        `SELECT c.chunk_id, s.score FROM (
           SELECT p.doc, sum(p.impact) AS score FROM ${t.postings} p
           WHERE p.term IN (${inList})${docFilter(filters, params, types, 'p.doc')}
           GROUP BY p.doc ORDER BY score DESC, p.doc LIMIT $k
         ) s JOIN ${t.chunks} c ON c.doc = s.doc
         ORDER BY s.score DESC, s.doc`,
        params,
        types,
      );
    },

    async splade(queryWeights, k, filters) {
      const entries = Object.entries(queryWeights).filter(([, w]) => Number.isFinite(w) && w !== 0);
      if (entries.length === 0 || k <= 0) return [];
      const params: Params = {
        k,
        qterms: listValue(entries.map(([term]) => term)),
        qweights: listValue(entries.map(([, w]) => w)),
      };
      const types: Types = { k: INTEGER, qterms: LIST(VARCHAR), qweights: LIST(DOUBLE) };
      const inList = placeholders('t', entries.map(([term]) => term), params, types);
      return topK(
        `SELECT c.chunk_id, s.score FROM (
           SELECT p.doc, sum(p.weight * q.w) AS score
           FROM ${t.splade} p
           JOIN (SELECT unnest($qterms) AS term, unnest($qweights) AS w) q ON q.term = p.term
           WHERE p.term IN (${inList})${docFilter(filters, params, types, 'p.doc')}
           GROUP BY p.doc ORDER BY score DESC, p.doc LIMIT $k
         ) s JOIN ${t.chunks} c ON c.doc = s.doc
         ORDER BY s.score DESC, s.doc`,
        params,
        types,
      );
    },

    async hydrate(chunkIds, filters) {
      if (chunkIds.length === 0) return [];
      const params: Params = { ids: listValue(chunkIds) };
      const types: Types = { ids: LIST(VARCHAR) };
      const rows = await read(async (conn) => {
        const r = await conn.runAndReadAll(
          `SELECT c.chunk_id, c.path, c.start_line, c.end_line, c.language, c.symbols, c.content
           FROM ${t.chunks} c
           WHERE c.chunk_id IN (SELECT unnest($ids))${docFilter(filters, params, types, 'c.doc')}`,
          params,
          types,
        );
        return r.getRowsJS();
      });
      const byId = new Map<string, ChunkRow>();
      for (const [chunkId, path, startLine, endLine, language, symbols, content] of rows) {
        byId.set(String(chunkId), {
          chunkId: String(chunkId),
          path: String(path),
          startLine: Number(startLine),
          endLine: Number(endLine),
          language: String(language),
          symbols: (symbols as string[] | null) ?? [],
          content: String(content),
        });
      }
      return inInputOrder(chunkIds, byId);
    },

    async filterIds(chunkIds, filters) {
      if (chunkIds.length === 0) return [];
      const params: Params = { ids: listValue(chunkIds) };
      const types: Types = { ids: LIST(VARCHAR) };
      const found = await read(async (conn) => {
        const r = await conn.runAndReadAll(
          `SELECT c.chunk_id FROM ${t.chunks} c
           WHERE c.chunk_id IN (SELECT unnest($ids))${docFilter(filters, params, types, 'c.doc')}`,
          params,
          types,
        );
        return new Set(r.getRowsJS().map(([id]) => String(id)));
      });
      const seen = new Set<string>();
      return chunkIds.filter((id) => found.has(id) && !seen.has(id) && seen.add(id));
    },

    count: () => stats.chunks,
    stats: () => ({ ...stats }),

    async dispose() {
      if (disposed) return;
      disposed = true;
      await db.withConnection((conn) => dropTables(conn, t));
    },
  };
}

type Tables = Record<'stage' | 'files' | 'chunks' | 'df' | 'postings' | 'splade', string>;

async function createTables(conn: DuckDBConnection, t: Tables, opts: LoadCatalogOptions): Promise<void> {
  await conn.run(`CREATE TABLE ${t.stage} (
    doc INTEGER, chunk_id VARCHAR, path VARCHAR, start_line INTEGER, end_line INTEGER, language VARCHAR,
    symbols VARCHAR[], content VARCHAR, doc_len INTEGER, terms MAP(VARCHAR, INTEGER), splade MAP(VARCHAR, FLOAT))`);
  if (opts.parts.length > 0) {
    // One row per chunk id: a chunk can sit in several parts (an unchanged file
    // re-indexed, a retried run); the part listed last wins, its line numbers are newest.
    await conn.run(
      `INSERT INTO ${t.stage}
       SELECT (row_number() OVER (ORDER BY path, start_line, chunk_id) - 1)::INTEGER AS doc, * EXCLUDE (part_rank)
       FROM (
         SELECT chunk_id, path, start_line, end_line, language, symbols, content, doc_len, terms, splade,
                list_position($parts, filename) AS part_rank
         FROM read_parquet($parts, filename = true)
         WHERE chunk_id NOT IN (SELECT unnest($deleted))
         QUALIFY row_number() OVER (PARTITION BY chunk_id ORDER BY part_rank DESC) = 1
       )`,
      { parts: listValue(opts.parts), deleted: listValue(opts.deletedChunkIds ?? []) },
      { parts: LIST(VARCHAR), deleted: LIST(VARCHAR) },
    );
  }

  await conn.run(`CREATE TABLE ${t.files} AS
    SELECT (row_number() OVER (ORDER BY path, language) - 1)::INTEGER AS file_id, path, language
    FROM (SELECT DISTINCT path, language FROM ${t.stage})`);

  await conn.run(`CREATE TABLE ${t.chunks} AS
    SELECT s.doc, s.chunk_id, f.file_id, s.path, s.start_line, s.end_line, s.language, s.symbols, s.content, s.doc_len
    FROM ${t.stage} s JOIN ${t.files} f ON f.path = s.path AND f.language = s.language
    ORDER BY s.doc`);

  await conn.run(`CREATE TABLE ${t.df} AS
    WITH n AS (SELECT count(*)::DOUBLE AS n FROM ${t.stage})
    SELECT term, df, ln(1 + ((SELECT n FROM n) - df + 0.5) / (df + 0.5)) AS idf
    FROM (SELECT term, count(*)::INTEGER AS df FROM (SELECT unnest(map_keys(terms)) AS term FROM ${t.stage}) GROUP BY term)`);

  await conn.run(`CREATE TABLE ${t.postings} AS
    WITH avgdl AS (SELECT avg(doc_len)::DOUBLE AS avgdl FROM ${t.stage})
    SELECT p.term, p.doc, p.tf,
           d.idf * p.tf * ${K1 + 1} / (p.tf + ${K1} * (${1 - B} + ${B} * p.doc_len / (SELECT avgdl FROM avgdl))) AS impact
    FROM (SELECT doc, doc_len, unnest(map_keys(terms)) AS term, unnest(map_values(terms)) AS tf FROM ${t.stage}) p
    JOIN ${t.df} d ON d.term = p.term
    ORDER BY p.term, p.doc`);

  await conn.run(`CREATE TABLE ${t.splade} AS
    SELECT term, doc, weight
    FROM (SELECT doc, unnest(map_keys(splade)) AS term, unnest(map_values(splade)) AS weight FROM ${t.stage} WHERE splade IS NOT NULL)
    ORDER BY term, doc`);

  await conn.run(`DROP TABLE ${t.stage}`);
}

async function dropTables(conn: DuckDBConnection, t: Tables): Promise<void> {
  for (const table of Object.values(t)) await conn.run(`DROP TABLE IF EXISTS ${table}`);
}

/** `$t0, $t1, ...` bound to the values: constants the planner can push into the scan. */
function placeholders(name: string, values: string[], params: Params, types: Types): string {
  return values
    .map((v, i) => {
      params[`${name}${i}`] = v;
      types[`${name}${i}`] = VARCHAR;
      return `$${name}${i}`;
    })
    .join(', ');
}

/** The SQL condition on files `f` for the filters, binding its values; '' when nothing filters. */
function fileWhere(filters: SearchFilters | undefined, params: Params, types: Types): string {
  const conds: string[] = [];
  if (filters?.paths && filters.paths.length > 0) {
    params.path_re = filters.paths.map(globToRegex).join('|');
    types.path_re = VARCHAR;
    conds.push('regexp_full_match(f.path, $path_re)');
  }
  if (filters?.languages && filters.languages.length > 0) {
    params.languages = listValue(filters.languages);
    types.languages = LIST(VARCHAR);
    conds.push('list_contains($languages, f.language)');
  }
  return conds.join(' AND ');
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

/**
 * A path glob as an RE2 regex, with gitignore-like meaning over repo-relative
 * paths: `*` and `?` stay within one path segment, `**` crosses segments,
 * `{a,b}` and `[abc]` / `[!abc]` work, a pattern without a slash matches a
 * file or directory name at any depth ("*.py", "tests"), and a pattern that
 * names a directory matches everything under it ("src", "src/", "src/**").
 */
export function globToRegex(glob: string): string {
  let g = glob.replace(/^\.\//, '');
  const anchored = g.replace(/\/+$/, '').includes('/');
  g = g.replace(/^\/+/, '').replace(/\/+$/, '');
  let re = '';
  let braces = 0;
  for (let i = 0; i < g.length; i++) {
    const ch = g[i];
    if (ch === '*') {
      if (g[i + 1] === '*') {
        const atSegmentStart = i === 0 || g[i - 1] === '/';
        i++;
        if (atSegmentStart && g[i + 1] === '/') {
          re += '(?:.*/)?';
          i++;
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const close = g.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = g.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`;
      i = close;
    } else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) {
      re += '|';
    } else if (ch === '\\' && i + 1 < g.length) {
      re += escapeRegex(g[++i]);
    } else {
      re += escapeRegex(ch);
    }
  }
  re += ')'.repeat(braces);
  return `${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?`;
}

function escapeRegex(ch: string): string {
  return /[.+^${}()|[\]\\*?]/.test(ch) ? `\\${ch}` : ch;
}
