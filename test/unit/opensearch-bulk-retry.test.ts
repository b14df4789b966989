import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import type { EncodedBatch } from '../../src/sinks/port.js';
import { createOpenSearchSink, type BulkResponseItem, type OpenSearchClientLike } from '../../src/sinks/opensearchSink.js';
import { OpenSearchBulkError } from '../../src/errors/openSearchBulkError.js';
import { testContract } from '../support/contract.js';

const contract: EmbeddingContract = testContract();

function batchOf(n: number): EncodedBatch {
  const chunks: Chunk[] = Array.from({ length: n }, (_, i) => ({
    id: `chunk${i}`,
    path: `src/f${i}.ts`,
    startLine: 1,
    endLine: 2,
    language: 'typescript',
    symbols: [],
    text: `text ${i}`,
  }));
  return {
    repo: 'r',
    runId: 'run',
    batchIndex: 0,
    chunks,
    dense: chunks.map(() => new Float32Array(4)),
    sparse: chunks.map(() => ({ term: 0.5 })),
    embedding: contract,
  };
}

type ItemAnswer = { status: number; type?: string; reason?: string };

/**
 * A fake client whose bulk answers each operation through `answer(id, call)`.
 * It records the ids sent in every bulk call.
 */
function fakeClient(answer: (id: string, call: number) => ItemAnswer, opts: { throwOnCall?: (call: number) => Error | undefined } = {}) {
  const calls: string[][] = [];
  const client = {
    async bulk({ body }: { body: string }) {
      const call = calls.length + 1;
      const actions = body
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => l.index || l.delete);
      const ids = actions.map((a) => (a.index ?? a.delete)._id as string);
      calls.push(ids);
      const thrown = opts.throwOnCall?.(call);
      if (thrown) throw thrown;
      const items = actions.map((a, i): Record<string, BulkResponseItem> => {
        const kind = a.index ? 'index' : 'delete';
        const { status, type, reason } = answer(ids[i], call);
        return { [kind]: { _id: ids[i], status, ...(type ? { error: { type, reason } } : {}) } };
      });
      return { body: { errors: items.some((it) => Object.values(it)[0].status >= 300), items } };
    },
  } as unknown as OpenSearchClientLike;
  return { client, calls };
}

function sinkWith(client: OpenSearchClientLike, maxAttempts = 4) {
  const sleeps: number[] = [];
  const sink = createOpenSearchSink(
    { url: 'http://unused', index: 'chunks' },
    { client, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 }, // jitter factor exactly 1
    { retry: { maxAttempts, baseDelayMs: 100, maxDelayMs: 1000 } },
  );
  return { sink, sleeps };
}

describe('OpenSearch bulk writes with per-item errors', () => {
  it('retry only the items that failed with 429 or 5xx, after a growing pause', async () => {
    const { client, calls } = fakeClient((id, call) => {
      if (id === 'r:chunk1' && call < 3) return { status: 429, type: 'es_rejected_execution_exception' };
      if (id === 'r:chunk3' && call < 2) return { status: 503, type: 'unavailable_shards_exception' };
      return { status: 201 };
    });
    const { sink, sleeps } = sinkWith(client);

    const result = await sink.writeBatch(batchOf(5));

    expect(result.written).toBe(5);
    expect(calls).toEqual([
      ['r:chunk0', 'r:chunk1', 'r:chunk2', 'r:chunk3', 'r:chunk4'],
      ['r:chunk1', 'r:chunk3'],
      ['r:chunk1'],
    ]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('do not retry a mapping error: it is reported, naming the chunk and the reason', async () => {
    const { client, calls } = fakeClient((id) =>
      id === 'r:chunk2' ? { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [splade_terms]' } : { status: 201 },
    );
    const { sink } = sinkWith(client);

    const err = await sink.writeBatch(batchOf(4)).catch((e) => e);

    expect(err).toBeInstanceOf(OpenSearchBulkError);
    expect(err.retryable).toBe(false);
    expect(err.failures).toEqual([
      { id: 'r:chunk2', status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [splade_terms]' },
    ]);
    expect(err.message).toMatch(/rejected 1 of 4 operations permanently: r:chunk2: 400 mapper_parsing_exception/);
    expect(calls).toHaveLength(1);
  });

  it('treat every other 4xx on an item as permanent too', async () => {
    const { client, calls } = fakeClient((id) =>
      id === 'r:chunk0' ? { status: 404, type: 'index_not_found_exception' } : { status: 409, type: 'version_conflict_engine_exception' },
    );
    const err = await sinkWith(client).sink.writeBatch(batchOf(2)).catch((e) => e);
    expect(err.failures.map((f: { status: number }) => f.status)).toEqual([404, 409]);
    expect(calls).toHaveLength(1);
  });

  it('finish the transient items before reporting a permanent one', async () => {
    const { client, calls } = fakeClient((id, call) => {
      if (id === 'r:chunk0') return { status: 400, type: 'mapper_parsing_exception' };
      if (id === 'r:chunk1' && call === 1) return { status: 429 };
      return { status: 200 };
    });
    const { sink } = sinkWith(client);

    const err = await sink.writeBatch(batchOf(3)).catch((e) => e);

    expect(calls).toEqual([['r:chunk0', 'r:chunk1', 'r:chunk2'], ['r:chunk1']]);
    expect(err.failures.map((f: { id: string }) => f.id)).toEqual(['r:chunk0']);
  });

  it('give up after maxAttempts with a clear, retryable error', async () => {
    const { client, calls } = fakeClient((id) => (id === 'r:chunk0' ? { status: 429, type: 'es_rejected_execution_exception' } : { status: 201 }));
    const { sink, sleeps } = sinkWith(client, 3);

    const err = await sink.writeBatch(batchOf(2)).catch((e) => e);

    expect(err).toBeInstanceOf(OpenSearchBulkError);
    expect(err.message).toBe(
      'OpenSearch bulk gave up after 3 attempts: 1 of 2 operations still failing (r:chunk0: 429 es_rejected_execution_exception)',
    );
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('retry a whole request that failed with 429, but not one that failed with 400', async () => {
    const tooMany = Object.assign(new Error('circuit_breaking_exception'), { name: 'ResponseError', meta: { statusCode: 429 } });
    const { client, calls } = fakeClient(() => ({ status: 201 }), { throwOnCall: (call) => (call === 1 ? tooMany : undefined) });
    expect((await sinkWith(client).sink.writeBatch(batchOf(2))).written).toBe(2);
    expect(calls).toHaveLength(2);

    const bad = Object.assign(new Error('illegal_argument_exception'), { name: 'ResponseError', meta: { statusCode: 400 } });
    const second = fakeClient(() => ({ status: 201 }), { throwOnCall: () => bad });
    const err = await sinkWith(second.client).sink.writeBatch(batchOf(2)).catch((e) => e);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/bulk request failed: \(whole request\): 400/);
    expect(second.calls).toHaveLength(1);
  });

  it('send a large batch as several bounded requests', async () => {
    const { client, calls } = fakeClient(() => ({ status: 201 }));
    const { sink } = sinkWith(client);
    expect((await sink.writeBatch(batchOf(1100))).written).toBe(1100);
    expect(calls.map((c) => c.length)).toEqual([500, 500, 100]);
  });
});

describe('OpenSearch bulk deletes', () => {
  it('treat 404 (already gone) as done and retry 5xx', async () => {
    const { client, calls } = fakeClient((id, call) => {
      if (id === 'r:gone') return { status: 404 };
      if (id === 'r:busy' && call === 1) return { status: 503 };
      return { status: 200 };
    });
    const { sink } = sinkWith(client);
    await sink.deleteChunks('r', ['gone', 'busy', 'ok']);
    expect(calls).toEqual([['r:gone', 'r:busy', 'r:ok'], ['r:busy']]);
  });
});
