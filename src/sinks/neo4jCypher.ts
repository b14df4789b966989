import neo4j, { type Integer } from 'neo4j-driver';
import type { Chunk, FileRole } from '../contracts/chunk.js';
import { classifyFile } from '../repo/fileRole.js';
import type { SearchFilters } from '../contracts/search.js';
import { javaPathRegex, parsePathGlob } from '../pathFilter/index.js';

/**
 * Pure Cypher builders for the Neo4j sink and dense channel. Every statement
 * is a constant text plus parameters, so tests check both without a server.
 *
 * Graph: (:Repo {name})-[:HAS_FILE]->(:File {id: repo:path})-[:HAS_CHUNK]->(:Chunk)
 * Chunks are keyed by (repo, id): chunk ids hash path+text only, so two repos
 * holding the same file would otherwise share (and overwrite) one node.
 * SPLADE terms are not stored in Neo4j: sparse retrieval is OpenSearch's job.
 */

export interface Statement {
  text: string;
  params: Record<string, unknown>;
}

export const VECTOR_INDEX_NAME = 'chunk_qwen_idx';
export const EMBEDDING_PROPERTY = 'embedding_qwen';
/** Neo4j vector indexes accept 1..4096 dimensions (Qwen3-Embedding-8B is exactly 4096). */
export const MAX_VECTOR_DIMENSIONS = 4096;

export function validateVectorDimensions(dim: number): number {
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_VECTOR_DIMENSIONS) {
    throw new RangeError(
      `Neo4j vector index ${VECTOR_INDEX_NAME} needs an integer dimension between 1 and ${MAX_VECTOR_DIMENSIONS}; ` +
        `the embedding contract says ${dim}`,
    );
  }
  return dim;
}

// ---------------------------------------------------------------- schema

export function constraintStatements(): Statement[] {
  return [
    { text: 'CREATE CONSTRAINT repo_name IF NOT EXISTS FOR (r:Repo) REQUIRE r.name IS UNIQUE', params: {} },
    { text: 'CREATE CONSTRAINT file_id IF NOT EXISTS FOR (f:File) REQUIRE f.id IS UNIQUE', params: {} },
    { text: 'CREATE CONSTRAINT chunk_repo_id IF NOT EXISTS FOR (c:Chunk) REQUIRE (c.repo, c.id) IS UNIQUE', params: {} },
  ];
}

/**
 * The dimension is validated and written as a literal: schema commands take
 * their OPTIONS map literally, and a checked integer cannot inject anything.
 */
export function vectorIndexStatement(dim: number): Statement {
  const d = validateVectorDimensions(dim);
  return {
    text:
      `CREATE VECTOR INDEX ${VECTOR_INDEX_NAME} IF NOT EXISTS FOR (c:Chunk) ON (c.${EMBEDDING_PROPERTY}) ` +
      `OPTIONS {indexConfig: {\`vector.dimensions\`: ${d}, \`vector.similarity_function\`: 'cosine'}}`,
    params: {},
  };
}

/** Polled until state is ONLINE; options carry the dimension of an index that already existed. */
export function vectorIndexStateStatement(): Statement {
  return {
    text:
      'SHOW INDEXES YIELD name, type, state, populationPercent, options ' +
      'WHERE name = $name RETURN name, type, state, populationPercent, options',
    params: { name: VECTOR_INDEX_NAME },
  };
}

// ---------------------------------------------------------------- writes

export interface ChunkRow {
  id: string;
  path: string;
  start_line: Integer;
  end_line: Integer;
  language: string;
  role: FileRole;
  symbols: string[];
  text: string;
  /** plain float list: what db.create.setNodeVectorProperty takes */
  embedding: number[];
}

/** Rows for the upsert; integers as neo4j.int (a JS number would be stored as a float). */
export function toChunkRows(chunks: Chunk[], dense: Float32Array[], dim: number): ChunkRow[] {
  if (dense.length !== chunks.length) {
    throw new Error(`Neo4j sink: ${chunks.length} chunks but ${dense.length} dense vectors`);
  }
  return chunks.map((c, i) => {
    const v = dense[i];
    if (v.length !== dim) {
      throw new Error(`Neo4j sink: chunk ${c.id} (${c.path}) has a ${v.length}-d vector; the index holds ${dim}-d vectors`);
    }
    const embedding = Array.from(v);
    if (!embedding.every(Number.isFinite)) throw new Error(`Neo4j sink: chunk ${c.id} (${c.path}) has a non-finite vector component`);
    return {
      id: c.id,
      path: c.path,
      start_line: neo4j.int(c.startLine),
      end_line: neo4j.int(c.endLine),
      language: c.language,
      role: c.role ?? classifyFile(c.path, c.text),
      symbols: c.symbols,
      text: c.text,
      embedding,
    };
  });
}

export function upsertChunksStatement(repo: string, runId: string, rows: ChunkRow[]): Statement {
  return {
    text: [
      'MERGE (r:Repo {name: $repo})',
      'WITH r',
      'UNWIND $rows AS row',
      "MERGE (f:File {id: $repo + ':' + row.path})",
      'SET f.repo = $repo, f.path = row.path, f.language = row.language, f.role = row.role',
      'MERGE (r)-[:HAS_FILE]->(f)',
      'MERGE (c:Chunk {repo: $repo, id: row.id})',
      'SET c.path = row.path, c.start_line = row.start_line, c.end_line = row.end_line,',
      '    c.language = row.language, c.role = row.role, c.symbols = row.symbols, c.text = row.text, c.run_id = $runId',
      'MERGE (f)-[:HAS_CHUNK]->(c)',
      'WITH c, row',
      `CALL db.create.setNodeVectorProperty(c, '${EMBEDDING_PROPERTY}', row.embedding)`,
      'RETURN count(*) AS written',
    ].join('\n'),
    params: { repo, runId, rows },
  };
}

/** Deletes the chunks, then any of their files left without chunks, in one transaction. */
export function deleteChunksStatement(repo: string, ids: string[]): Statement {
  return {
    text: [
      'UNWIND $ids AS id',
      'MATCH (c:Chunk {repo: $repo, id: id})',
      'OPTIONAL MATCH (f:File)-[:HAS_CHUNK]->(c)',
      'DETACH DELETE c',
      'WITH DISTINCT f',
      'WHERE f IS NOT NULL AND NOT EXISTS { (f)-[:HAS_CHUNK]->(:Chunk) }',
      'DETACH DELETE f',
    ].join('\n'),
    params: { repo, ids },
  };
}

// ---------------------------------------------------------------- reads

export interface VectorQuery {
  repo: string;
  vector: Float32Array | number[];
  k: number;
  filters?: SearchFilters;
  /** candidates fetched per wanted hit, so the repo/path/language filter still leaves k */
  overFetch?: number;
}

export const DEFAULT_OVER_FETCH = 4;

/**
 * ANN search, filtered after the fact: queryNodes cannot filter inside the
 * index, so it fetches k * overFetch candidates and the WHERE keeps this
 * repo's. A repo that is a small share of the database may get fewer than k.
 */
export function vectorQueryStatement(q: VectorQuery): Statement {
  if (!Number.isInteger(q.k) || q.k < 1) throw new RangeError(`k must be a positive integer, got ${q.k}`);
  const overFetch = q.overFetch ?? DEFAULT_OVER_FETCH;
  const where = ['node.repo = $repo'];
  const params: Record<string, unknown> = {
    index: VECTOR_INDEX_NAME,
    candidates: neo4j.int(q.k * Math.max(1, Math.ceil(overFetch))),
    vector: Array.from(q.vector),
    repo: q.repo,
    k: neo4j.int(q.k),
  };
  if (q.filters?.languages?.length) {
    where.push('node.language IN $languages');
    params.languages = q.filters.languages;
  }
  if (q.filters?.roles?.length) {
    // chunks written before roles existed have none: they count as source
    where.push("coalesce(node.role, 'source') IN $roles");
    params.roles = q.filters.roles;
  }
  if (q.filters?.paths?.length) {
    where.push('any(pattern IN $pathPatterns WHERE node.path =~ pattern)');
    params.pathPatterns = q.filters.paths.map((g) => javaPathRegex(parsePathGlob(g)));
  }
  return {
    text: [
      'CALL db.index.vector.queryNodes($index, $candidates, $vector) YIELD node, score',
      `WHERE ${where.join(' AND ')}`,
      'RETURN node.id AS id, score',
      'ORDER BY score DESC',
      'LIMIT $k',
    ].join('\n'),
    params,
  };
}
