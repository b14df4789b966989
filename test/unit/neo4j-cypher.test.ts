import neo4j, { type Integer } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import {
  constraintStatements,
  deleteChunksStatement,
  toChunkRows,
  upsertChunksStatement,
  validateVectorDimensions,
  vectorIndexStatement,
  vectorIndexStateStatement,
  vectorQueryStatement,
} from '../../src/sinks/neo4jCypher.js';

const chunk: Chunk = {
  id: 'a'.repeat(32),
  path: 'src/config.ts',
  startLine: 3,
  endLine: 40,
  language: 'typescript',
  symbols: ['loadConfig'],
  text: 'export function loadConfig() {}',
};

/** Collapse whitespace so assertions read like the Cypher itself. */
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('schema statements', () => {
  it('make Repo names and File ids unique, and Chunks unique per (repo, id)', () => {
    expect(constraintStatements().map((s) => s.text)).toEqual([
      'CREATE CONSTRAINT repo_name IF NOT EXISTS FOR (r:Repo) REQUIRE r.name IS UNIQUE',
      'CREATE CONSTRAINT file_id IF NOT EXISTS FOR (f:File) REQUIRE f.id IS UNIQUE',
      'CREATE CONSTRAINT chunk_repo_id IF NOT EXISTS FOR (c:Chunk) REQUIRE (c.repo, c.id) IS UNIQUE',
    ]);
  });

  it('create the cosine vector index chunk_qwen_idx with the contract dimension, if missing', () => {
    expect(vectorIndexStatement(4096).text).toBe(
      'CREATE VECTOR INDEX chunk_qwen_idx IF NOT EXISTS FOR (c:Chunk) ON (c.embedding_qwen) ' +
        "OPTIONS {indexConfig: {`vector.dimensions`: 4096, `vector.similarity_function`: 'cosine'}}",
    );
    expect(vectorIndexStatement(384).text).toContain('`vector.dimensions`: 384,');
  });

  it('accept dimensions 1..4096 only, with an error that names the limit', () => {
    expect(validateVectorDimensions(1)).toBe(1);
    expect(validateVectorDimensions(4096)).toBe(4096);
    for (const bad of [0, -1, 4097, 8192, 1.5, Number.NaN]) {
      expect(() => vectorIndexStatement(bad)).toThrow(/between 1 and 4096; the embedding contract says/);
    }
  });

  it('read the index state (polled until ONLINE) by name', () => {
    const s = vectorIndexStateStatement();
    expect(s.text).toMatch(/^SHOW INDEXES YIELD name, type, state, populationPercent, options WHERE name = \$name/);
    expect(s.params).toEqual({ name: 'chunk_qwen_idx' });
  });
});

describe('upsert statement', () => {
  const rows = toChunkRows([chunk], [new Float32Array([0.5, -0.25, 0.125])], 3);

  it('pass line numbers as neo4j Integers, so they are not stored as floats', () => {
    expect(neo4j.isInt(rows[0].start_line)).toBe(true);
    expect(neo4j.isInt(rows[0].end_line)).toBe(true);
    expect(rows[0].start_line.toNumber()).toBe(3);
    expect(rows[0].end_line.toNumber()).toBe(40);
  });

  it('pass the vector as a plain array of floats', () => {
    expect(Array.isArray(rows[0].embedding)).toBe(true);
    expect(rows[0].embedding).toEqual([0.5, -0.25, 0.125]);
  });

  it('refuse a vector of the wrong dimension or with NaN, naming the chunk', () => {
    expect(() => toChunkRows([chunk], [new Float32Array(4)], 3)).toThrow(/src\/config\.ts\) has a 4-d vector; the index holds 3-d/);
    expect(() => toChunkRows([chunk], [new Float32Array([1, Number.NaN, 0])], 3)).toThrow(/non-finite/);
    expect(() => toChunkRows([chunk], [], 3)).toThrow(/1 chunks but 0 dense vectors/);
  });

  it('merge Repo, File and Chunk, link them, and set the vector through the procedure', () => {
    const s = upsertChunksStatement('acme/api', 'run-7', rows);
    expect(flat(s.text)).toBe(
      flat(`
        MERGE (r:Repo {name: $repo})
        WITH r
        UNWIND $rows AS row
        MERGE (f:File {id: $repo + ':' + row.path})
        SET f.repo = $repo, f.path = row.path, f.language = row.language, f.role = row.role
        MERGE (r)-[:HAS_FILE]->(f)
        MERGE (c:Chunk {repo: $repo, id: row.id})
        SET c.path = row.path, c.start_line = row.start_line, c.end_line = row.end_line,
            c.language = row.language, c.role = row.role, c.symbols = row.symbols, c.text = row.text, c.run_id = $runId
        MERGE (f)-[:HAS_CHUNK]->(c)
        WITH c, row
        CALL db.create.setNodeVectorProperty(c, 'embedding_qwen', row.embedding)
        RETURN count(*) AS written`),
    );
    expect(s.params).toEqual({ repo: 'acme/api', runId: 'run-7', rows });
  });

  it('store no SPLADE terms: sparse retrieval lives in OpenSearch', () => {
    expect(upsertChunksStatement('r', 'run', rows).text).not.toMatch(/splade/i);
    expect(Object.keys(rows[0])).not.toContain('splade_terms');
  });
});

describe('delete statement', () => {
  it('detach-delete the repo’s chunks by id, then files left without chunks, in one statement', () => {
    const s = deleteChunksStatement('acme/api', ['id1', 'id2']);
    expect(flat(s.text)).toBe(
      flat(`
        UNWIND $ids AS id
        MATCH (c:Chunk {repo: $repo, id: id})
        OPTIONAL MATCH (f:File)-[:HAS_CHUNK]->(c)
        DETACH DELETE c
        WITH DISTINCT f
        WHERE f IS NOT NULL AND NOT EXISTS { (f)-[:HAS_CHUNK]->(:Chunk) }
        DETACH DELETE f`),
    );
    expect(s.params).toEqual({ repo: 'acme/api', ids: ['id1', 'id2'] });
  });
});

describe('vector query statement', () => {
  it('over-fetch k*4 candidates, keep this repo’s, and return the top k', () => {
    const s = vectorQueryStatement({ repo: 'acme/api', vector: new Float32Array([1, 0]), k: 10 });
    expect(flat(s.text)).toBe(
      flat(`
        CALL db.index.vector.queryNodes($index, $candidates, $vector) YIELD node, score
        WHERE node.repo = $repo
        RETURN node.id AS id, score
        ORDER BY score DESC
        LIMIT $k`),
    );
    expect(s.params.index).toBe('chunk_qwen_idx');
    expect((s.params.candidates as Integer).toNumber()).toBe(40);
    expect(neo4j.isInt(s.params.k)).toBe(true);
    expect((s.params.k as Integer).toNumber()).toBe(10);
    expect(s.params.vector).toEqual([1, 0]);
  });

  it('filter by language and by path globs as anchored regular expressions', () => {
    const s = vectorQueryStatement({
      repo: 'r',
      vector: [1],
      k: 5,
      overFetch: 8,
      filters: { languages: ['python'], paths: ['src/**', '*.py'] },
    });
    expect(s.text).toContain(
      'WHERE node.repo = $repo AND node.language IN $languages AND any(pattern IN $pathPatterns WHERE node.path =~ pattern)',
    );
    expect(s.params.languages).toEqual(['python']);
    // dot-all, so names with a newline match too; "*.py" also matches under a directory named "x.py", as in gitignore
    expect(s.params.pathPatterns).toEqual(['(?s)src/.*', '(?s)(?:.*/)?[^/]*\\.py(?:/.*)?']);
    expect((s.params.candidates as Integer).toNumber()).toBe(40);
  });

  it('filter by role, reading a chunk written before roles as source', () => {
    const s = vectorQueryStatement({ repo: 'r', vector: [1], k: 5, filters: { roles: ['source', 'docs'] } });
    expect(s.text).toContain("WHERE node.repo = $repo AND coalesce(node.role, 'source') IN $roles");
    expect(s.params.roles).toEqual(['source', 'docs']);
  });

  it('reject a k that is not a positive integer', () => {
    expect(() => vectorQueryStatement({ repo: 'r', vector: [1], k: 0 })).toThrow(/k must be a positive integer/);
  });
});
