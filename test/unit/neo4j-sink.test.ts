import neo4j, { type Integer } from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import { createNeo4jDenseChannel } from '../../src/retrieval/neo4jChannel.js';
import { createNeo4jSink, type Neo4jDriverLike } from '../../src/sinks/neo4jSink.js';
import type { EncodedBatch } from '../../src/sinks/port.js';
import { testContract } from '../support/contract.js';

const contract = (dim: number): EmbeddingContract => testContract({ dim });

function batchOf(n: number, dim = 3): EncodedBatch {
  const chunks: Chunk[] = Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    path: `src/f${i % 7}.ts`,
    startLine: i + 1,
    endLine: i + 2,
    language: 'typescript',
    symbols: [],
    text: `chunk ${i}`,
  }));
  return { repo: 'acme/api', runId: 'run-1', batchIndex: 0, chunks, dense: chunks.map(() => new Float32Array(dim).fill(0.1)), embedding: contract(dim) };
}

const record = (values: Record<string, unknown>) => ({ get: (k: string) => values[k] });

interface Recorded {
  text: string;
  params: Record<string, unknown>;
  config: { database?: string; routing?: string };
}

/**
 * A fake driver that records every statement. SHOW INDEXES answers from
 * `indexStates` in turn (the last one repeats); upserts report their row count.
 */
function fakeDriver(indexStates: (string | undefined)[] = ['ONLINE'], indexDim = 3) {
  const statements: Recorded[] = [];
  let shows = 0;
  const driver: Neo4jDriverLike = {
    async executeQuery(text, params, config) {
      statements.push({ text, params, config });
      if (text.startsWith('SHOW INDEXES')) {
        const state = indexStates[Math.min(shows++, indexStates.length - 1)];
        if (!state) return { records: [] };
        return {
          records: [
            record({
              name: 'chunk_qwen_idx',
              state,
              populationPercent: state === 'ONLINE' ? 100 : 40,
              options: { indexConfig: { 'vector.dimensions': neo4j.int(indexDim), 'vector.similarity_function': 'COSINE' } },
            }),
          ],
        };
      }
      if (text.includes('UNWIND $rows')) return { records: [record({ written: neo4j.int((params.rows as unknown[]).length) })] };
      return { records: [] };
    },
    async verifyConnectivity() {
      return {};
    },
    async close() {},
  };
  return { driver, statements };
}

/** A clock that only moves when the sink sleeps. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)), sleeps };
}

describe('Neo4j sink init', () => {
  it('creates the constraints and the vector index, then waits until SHOW INDEXES reports ONLINE', async () => {
    const { driver, statements } = fakeDriver(['POPULATING', 'POPULATING', 'ONLINE']);
    const clock = fakeClock();
    const sink = createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j', database: 'code' }, { driver, ...clock }, { indexPollMs: 250 });

    await sink.init(contract(3));

    const texts = statements.map((s) => s.text.split(' ').slice(0, 3).join(' '));
    expect(texts).toEqual([
      'CREATE CONSTRAINT repo_name',
      'CREATE CONSTRAINT file_id',
      'CREATE CONSTRAINT chunk_repo_id',
      'CREATE VECTOR INDEX',
      'SHOW INDEXES YIELD',
      'SHOW INDEXES YIELD',
      'SHOW INDEXES YIELD',
    ]);
    expect(clock.sleeps).toEqual([250, 250]);
    expect(statements.every((s) => s.config.database === 'code')).toBe(true);
  });

  it('times out with a message naming the index, the limit and the last state', async () => {
    const { driver } = fakeDriver(['POPULATING']);
    const clock = fakeClock();
    const sink = createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver, ...clock }, { indexTimeoutMs: 1000, indexPollMs: 300 });

    await expect(sink.init(contract(3))).rejects.toThrow(
      'Neo4j vector index chunk_qwen_idx did not come ONLINE within 1000 ms (last state: POPULATING (40% populated))',
    );
    expect(clock.sleeps.length).toBeGreaterThanOrEqual(3);
  });

  it('waits while the new index is not listed yet', async () => {
    const { driver } = fakeDriver([undefined, 'ONLINE']);
    const clock = fakeClock();
    await createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver, ...clock }).init(contract(3));
    expect(clock.sleeps).toHaveLength(1);
  });

  it('fails at once when the index is FAILED', async () => {
    const { driver } = fakeDriver(['FAILED']);
    await expect(createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver, ...fakeClock() }).init(contract(3))).rejects.toThrow(
      /chunk_qwen_idx is FAILED/,
    );
  });

  it('refuses an existing index built for another dimension', async () => {
    const { driver } = fakeDriver(['ONLINE'], 768);
    await expect(createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver, ...fakeClock() }).init(contract(3))).rejects.toThrow(
      'Neo4j vector index chunk_qwen_idx holds 768-d vectors but the embedding contract is 3-d',
    );
  });

  it('refuses a dimension Neo4j cannot index before sending anything', async () => {
    const { driver, statements } = fakeDriver();
    await expect(createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver }).init(contract(8192))).rejects.toThrow(
      /between 1 and 4096/,
    );
    expect(statements).toHaveLength(0);
  });
});

describe('Neo4j sink writes', () => {
  it('upserts in statements of at most 500 rows, all in write mode', async () => {
    const { driver, statements } = fakeDriver();
    const sink = createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver });

    const result = await sink.writeBatch(batchOf(1201));

    const upserts = statements.filter((s) => s.text.includes('UNWIND $rows'));
    expect(upserts.map((s) => (s.params.rows as unknown[]).length)).toEqual([500, 500, 201]);
    expect(upserts.every((s) => s.config.routing === 'WRITE' && s.params.repo === 'acme/api')).toBe(true);
    expect(result.written).toBe(1201);
  });

  it('refuses a batch whose model dimension differs from the index', async () => {
    const { driver } = fakeDriver();
    const sink = createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver, ...fakeClock() });
    await sink.init(contract(3));
    await expect(sink.writeBatch(batchOf(2, 5))).rejects.toThrow(/uses a 5-d model \(test\) but the index holds 3-d vectors/);
  });

  it('deletes in statements of at most 500 ids, scoped to the repo', async () => {
    const { driver, statements } = fakeDriver();
    const sink = createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver });
    await sink.deleteChunks('acme/api', Array.from({ length: 501 }, (_, i) => `c${i}`));
    expect(statements.map((s) => [s.params.repo, (s.params.ids as unknown[]).length])).toEqual([
      ['acme/api', 500],
      ['acme/api', 1],
    ]);
    expect(statements[0].text).toContain('DETACH DELETE c');
  });
});

describe('Neo4j sink health and close', () => {
  it('reports ok when the driver connects, and the error otherwise', async () => {
    const { driver } = fakeDriver();
    expect(await createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver }).health()).toEqual({ ok: true });
    driver.verifyConnectivity = async () => {
      throw new Error('Could not perform discovery');
    };
    expect(await createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver }).health()).toEqual({
      ok: false,
      detail: 'neo4j neo4j://x: Could not perform discovery',
    });
  });

  it('leaves an injected driver open', async () => {
    const { driver } = fakeDriver();
    let closed = false;
    driver.close = async () => void (closed = true);
    await createNeo4jSink({ uri: 'neo4j://x', user: 'neo4j' }, { driver }).close();
    expect(closed).toBe(false);
  });
});

describe('Neo4j dense channel', () => {
  it('embeds the query, asks the vector index in read mode and returns ids with scores', async () => {
    const seen: Recorded[] = [];
    const driver: Neo4jDriverLike = {
      async executeQuery(text, params, config) {
        seen.push({ text, params, config });
        return { records: [record({ id: 'c2', score: 0.9 }), record({ id: 'c1', score: 0.5 })] };
      },
      verifyConnectivity: async () => ({}),
      close: async () => {},
    };
    const queries: string[] = [];
    const channel = createNeo4jDenseChannel({
      driver,
      database: 'code',
      embedQuery: async (text) => (queries.push(text), new Float32Array([0.5, 0.5])),
    });

    const hits = await channel.search({ repo: 'acme/api', text: 'where is config loaded', k: 2 });

    expect(channel.name).toBe('dense');
    expect(queries).toEqual(['where is config loaded']);
    expect(hits).toEqual([
      { chunkId: 'c2', score: 0.9 },
      { chunkId: 'c1', score: 0.5 },
    ]);
    expect(seen[0].config).toEqual({ database: 'code', routing: 'READ' });
    expect(seen[0].params.vector).toEqual([0.5, 0.5]);
    expect((seen[0].params.candidates as Integer).toNumber()).toBe(8);
  });

  it('does not query once the caller has aborted', async () => {
    let called = false;
    const driver = { executeQuery: async () => ((called = true), { records: [] }) } as unknown as Neo4jDriverLike;
    const channel = createNeo4jDenseChannel({ driver, embedQuery: async () => new Float32Array([1]) });
    const ac = new AbortController();
    ac.abort();
    await expect(channel.search({ repo: 'r', text: 'q', k: 1, signal: ac.signal })).rejects.toThrow();
    expect(called).toBe(false);
  });
});
