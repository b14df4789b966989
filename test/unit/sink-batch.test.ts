import type { Job } from 'bullmq';
import type { SinkBatchPayload } from '../../src/contracts/payloads.js';
import type { SinkBatchResult } from '../../src/contracts/results.js';
import { describe, expect, it } from 'vitest';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import { createSinkBatchProcessor } from '../../jobs/sinkBatch.js';
import type { ArtifactStore } from '../../src/artifacts/store.js';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { RunProgress } from '../../src/queue/runProgress.js';
import { createSinkCircuit } from '../../src/sinks/circuit.js';
import type { EncodedBatch, Sink } from '../../src/sinks/port.js';
import { testContract } from '../support/contract.js';

const contract: EmbeddingContract = testContract({ model: 'm', dim: 2 });
const chunks: Chunk[] = [
  { id: 'c1', path: 'a.py', startLine: 1, endLine: 2, language: 'python', symbols: [], text: 'x = 1' },
  { id: 'c2', path: 'a.py', startLine: 3, endLine: 4, language: 'python', symbols: [], text: 'y = 2' },
];

function memoryArtifacts(): ArtifactStore {
  const json = new Map<string, unknown>([
    [artifactKeys.chunks('run1', 0), chunks],
    [artifactKeys.denseContract('run1', 0), { contract }],
  ]);
  const vectors = new Map<string, Float32Array[]>([[artifactKeys.dense('run1', 0), [new Float32Array([1, 0]), new Float32Array([0, 1])]]]);
  return {
    putJson: async (k, v) => void json.set(k, v),
    getJson: async <T>(k: string) => json.get(k) as T,
    putVectors: async (k, r) => void vectors.set(k, r),
    getVectors: async (k) => vectors.get(k)!,
    has: async (k) => json.has(k) || vectors.has(k),
    removePrefix: async () => {},
  };
}

function sink(name: string, overrides: Partial<Sink> = {}): Sink & { batches: EncodedBatch[] } {
  const batches: EncodedBatch[] = [];
  return {
    name,
    batches,
    init: async () => {},
    writeBatch: async (b) => {
      batches.push(b);
      return { written: b.chunks.length, ref: `/data/repos/r/parts/${name}-run1-b0.parquet` };
    },
    deleteChunks: async () => {},
    health: async () => ({ ok: true }),
    close: async () => {},
    ...overrides,
  };
}

const recorded: [string, string, number, number][] = [];
const progress = { record: async (run: string, stage: string, b: number, n: number) => void recorded.push([run, stage, b, n]) } as unknown as RunProgress;
const job = { id: 'run1-b00000-sink', data: { runId: 'run1', repo: 'r', batchIndex: 0, sparse: false } } as unknown as Job<SinkBatchPayload, SinkBatchResult, 'sink.batch'>;

describe('sink.batch with optional sinks', () => {
  it('writes Parquet and reports the batch done when an optional sink fails even at init (schema, index)', async () => {
    const parquet = sink('parquet');
    let inits = 0;
    const neo4j = sink('neo4j', {
      init: async () => {
        inits++;
        throw new Error('Neo4j vector index chunk_qwen_idx did not come ONLINE within 120000 ms');
      },
    });
    const opensearch = sink('opensearch');
    const process = createSinkBatchProcessor({
      artifacts: memoryArtifacts(),
      progress,
      primary: parquet,
      optional: [neo4j, opensearch],
      logger: silentLogger(),
      optionalRetries: 2,
      sleep: async () => {},
    });
    const result = await process(job);
    expect(result).toEqual({
      batchIndex: 0,
      part: 'parts/parquet-run1-b0.parquet',
      written: 2,
      sinks: {
        parquet: { status: 'ok' },
        neo4j: { status: 'failed', detail: expect.stringContaining('did not come ONLINE') },
        opensearch: { status: 'ok' },
      },
    });
    expect(parquet.batches).toHaveLength(1);
    expect(opensearch.batches[0].chunks.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(neo4j.batches).toHaveLength(0);
    expect(inits).toBe(2); // a failed init is not cached: each attempt tries again
    expect(recorded).toContainEqual(['run1', 'written', 0, 2]);
  });

  it('fails the job when Parquet fails, whatever the optional sinks do', async () => {
    const parquet = sink('parquet', { writeBatch: async () => Promise.reject(new Error('disk full')) });
    const opensearch = sink('opensearch');
    const process = createSinkBatchProcessor({ artifacts: memoryArtifacts(), progress, primary: parquet, optional: [opensearch], logger: silentLogger() });
    await expect(process(job)).rejects.toThrow('disk full');
    expect(opensearch.batches).toHaveLength(0);
  });

  it('skips a sink whose circuit is open, without calling it', async () => {
    const circuit = createSinkCircuit({ cooldownMs: 60_000 });
    circuit.failed('neo4j', 'ECONNREFUSED');
    let calls = 0;
    const neo4j = sink('neo4j', { writeBatch: async () => ((calls++), { written: 0 }) });
    const process = createSinkBatchProcessor({ artifacts: memoryArtifacts(), progress, primary: sink('parquet'), optional: [neo4j], logger: silentLogger(), circuit });
    const result = await process(job);
    expect(result.sinks.neo4j).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^skipped: neo4j failed on an earlier batch/) });
    expect(calls).toBe(0);
  });
});
