import { randomUUID } from 'node:crypto';
import neo4j from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import { createNeo4jDenseChannel } from '../../src/retrieval/neo4jChannel.js';
import { vectorIndexStateStatement } from '../../src/sinks/neo4jCypher.js';
import { createNeo4jDriver, createNeo4jSink, toNumber, type Neo4jDriverLike } from '../../src/sinks/neo4jSink.js';
import type { Sink } from '../../src/sinks/port.js';
import { testContract } from '../support/contract.js';

/**
 * Runs against a real Neo4j 5.13+ server when NEO4J_URI is set (with
 * NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE as in the config). Writes
 * into a repo named it-<uuid> and removes it afterwards.
 */
const uri = process.env.NEO4J_URI;
if (!uri) {
  console.warn(
    '[skipped] test/integration/neo4j.test.ts: NEO4J_URI is not set, so the Neo4j sink and dense channel were NOT tested against a server ' +
      '(no Neo4j can be installed on this machine). Set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD to run it.',
  );
}

const settings = {
  uri: uri ?? '',
  user: process.env.NEO4J_USER || 'neo4j',
  password: process.env.NEO4J_PASSWORD,
  database: process.env.NEO4J_DATABASE || undefined,
};

const contract = (dim: number): EmbeddingContract => testContract({ model: 'integration-test', dim });

/** Unit vector along axis i (plus a little of the next axis, so no two are identical). */
function axis(dim: number, i: number): Float32Array {
  const v = new Float32Array(dim);
  v[i] = 1;
  v[(i + 1) % dim] = 0.1;
  return v;
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!uri)('Neo4j sink and dense channel against a real server', () => {
  const repo = `it-${randomUUID()}`;
  let driver: Neo4jDriverLike;
  let sink: Sink;
  let dim = 8;
  const chunks: Chunk[] = [
    { id: 'c-config', path: 'src/config.ts', startLine: 1, endLine: 20, language: 'typescript', symbols: ['loadConfig'], text: 'export function loadConfig() {}' },
    { id: 'c-yaml', path: 'tools/yaml_io.py', startLine: 5, endLine: 9, language: 'python', symbols: ['load_yaml'], text: 'def load_yaml(s): ...' },
    { id: 'c-main', path: 'cmd/main.go', startLine: 1, endLine: 3, language: 'go', symbols: ['main'], text: 'func main() {}' },
  ];
  const run = (text: string, params: Record<string, unknown> = {}) =>
    driver.executeQuery(text, params, { database: settings.database, routing: 'WRITE' });

  beforeAll(async () => {
    driver = createNeo4jDriver(settings);
    // a database that already has the index keeps its dimension: use it
    const s = vectorIndexStateStatement();
    const { records } = await driver.executeQuery(s.text, s.params, { database: settings.database, routing: 'READ' });
    const existing = (records[0]?.get('options') as { indexConfig?: Record<string, unknown> } | undefined)?.indexConfig?.['vector.dimensions'];
    if (existing !== undefined && existing !== null) dim = toNumber(existing);
    sink = createNeo4jSink(settings, { driver });
  });

  afterAll(async () => {
    if (!driver) return;
    await run('MATCH (c:Chunk {repo: $repo}) DETACH DELETE c', { repo });
    await run('MATCH (f:File {repo: $repo}) DETACH DELETE f', { repo });
    await run('MATCH (r:Repo {name: $repo}) DETACH DELETE r', { repo });
    await sink.close();
    await driver.close();
  });

  it('is healthy', async () => {
    expect(await sink.health()).toEqual({ ok: true });
  });

  it('creates its schema (twice, idempotently) and the index comes ONLINE', async () => {
    await sink.init(contract(dim));
    await sink.init(contract(dim));
  });

  it('writes a batch as Repo -> File -> Chunk with integer lines and a vector', async () => {
    const result = await sink.writeBatch({
      repo,
      runId: 'run-1',
      batchIndex: 0,
      chunks,
      dense: chunks.map((_, i) => axis(dim, i)),
      embedding: contract(dim),
    });
    expect(result.written).toBe(3);

    const { records } = await run(
      'MATCH (:Repo {name: $repo})-[:HAS_FILE]->(f:File)-[:HAS_CHUNK]->(c:Chunk) ' +
        'RETURN c.id AS id, f.id AS file, c.start_line AS start, size(c.embedding_qwen) AS dims ORDER BY id',
      { repo },
    );
    expect(records.map((r) => r.get('id'))).toEqual(['c-config', 'c-main', 'c-yaml']);
    expect(records[0].get('file')).toBe(`${repo}:src/config.ts`);
    expect(neo4j.isInt(records[0].get('start'))).toBe(true); // stored as an integer, not a float
    expect(toNumber(records[0].get('dims'))).toBe(dim);
  });

  it('writing the same batch again creates no duplicates', async () => {
    await sink.writeBatch({ repo, runId: 'run-2', batchIndex: 0, chunks, dense: chunks.map((_, i) => axis(dim, i)), embedding: contract(dim) });
    const { records } = await run('MATCH (c:Chunk {repo: $repo}) RETURN count(c) AS n', { repo });
    expect(toNumber(records[0].get('n'))).toBe(3);
  });

  it('finds the nearest chunk through the dense channel, within the repo and filters', async () => {
    // each query text embeds onto the axis of the chunk it is about, so the
    // target is a top candidate even in a database shared with other repos
    const axes: Record<string, number> = { config: 0, yaml: 1, main: 2 };
    const channel = createNeo4jDenseChannel({ driver, database: settings.database, embedQuery: async (t) => axis(dim, axes[t] ?? 0) });
    const hits = await eventually(
      () => channel.search({ repo, text: 'yaml', k: 3 }),
      (h) => h.length > 0,
    );
    expect(hits[0].chunkId).toBe('c-yaml');
    expect(hits[0].score).toBeGreaterThan(0.99);
    for (const h of hits) expect(['c-config', 'c-main', 'c-yaml']).toContain(h.chunkId);

    expect((await channel.search({ repo, text: 'main', k: 3, filters: { languages: ['go'] } })).map((h) => h.chunkId)).toEqual(['c-main']);
    expect((await channel.search({ repo, text: 'config', k: 3, filters: { paths: ['src/**'] } })).map((h) => h.chunkId)).toEqual(['c-config']);
    expect(await channel.search({ repo: `${repo}-other`, text: 'yaml', k: 3 })).toEqual([]);
  });

  it('deletes chunks and the files they leave empty', async () => {
    await sink.deleteChunks(repo, ['c-config', 'c-yaml']);
    const left = await run('MATCH (c:Chunk {repo: $repo}) RETURN c.id AS id', { repo });
    expect(left.records.map((r) => r.get('id'))).toEqual(['c-main']);
    const files = await run('MATCH (f:File {repo: $repo}) RETURN f.path AS path', { repo });
    expect(files.records.map((r) => r.get('path'))).toEqual(['cmd/main.go']);

    await sink.deleteChunks(repo, ['c-main', 'never-existed']);
    const channel = createNeo4jDenseChannel({ driver, database: settings.database, embedQuery: async () => axis(dim, 2) });
    expect(await eventually(() => channel.search({ repo, text: 'q', k: 3 }), (h) => h.length === 0)).toEqual([]);
  });
});
