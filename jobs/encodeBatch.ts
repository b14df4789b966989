import { artifactKeys, chunkBatchSchema } from '../src/contracts/artifacts.js';
import type { Chunk } from '../src/contracts/chunk.js';
import type { BatchRefPayload } from '../src/contracts/payloads.js';
import { encodeWithHalving } from '../src/embedding/batchHalving.js';
import type { BatchSizeMemory } from '../src/embedding/batchSizeMemory.js';
import type { ArtifactStore } from '../src/artifacts/store.js';
import type { Logger } from '../src/observability/logger.js';
import type { RunProgress } from '../src/queue/runProgress.js';

export type EncodeKind = 'dense' | 'sparse';

/** What both GPU jobs need beside their encoder. */
export interface EncodeJobDeps {
  artifacts: ArtifactStore;
  progress: RunProgress;
  /** the learned OOM-safe batch size per {host, gpu, model} */
  batchMemory: (model: string) => BatchSizeMemory;
  logger: Logger;
  metrics?: EncodeMetrics;
}

export interface EncodeMetrics {
  observeBatch(kind: EncodeKind, size: number, latencyMs: number): void;
  countChunks(kind: EncodeKind, n: number): void;
  countOom(kind: EncodeKind): void;
}

/**
 * Encode a staged batch the way both GPU jobs do: start at the size this
 * device has proven safe, halve on out-of-memory down to one, time every
 * call, and remember the size that worked for the next batch.
 */
export async function encodeStagedBatch<T>(
  deps: EncodeJobDeps,
  batch: BatchRefPayload,
  opts: {
    kind: EncodeKind;
    /** the key of the learned batch size (one per model) */
    memoryKey: string;
    encode: (slice: Chunk[]) => Promise<T[]>;
    log: Logger;
    /** what the halving warning says it halves */
    what: string;
  },
): Promise<{ results: T[]; sizeUsed: number; halvings: number }> {
  const chunks = await deps.artifacts.getJson(artifactKeys.chunks(batch.runId, batch.batchIndex), chunkBatchSchema);
  const memory = deps.batchMemory(opts.memoryKey);
  const plan = await memory.plan();
  const { results, sizeUsed, halvings, proven } = await encodeWithHalving(
    chunks,
    async (slice) => {
      const t = performance.now();
      const out = await opts.encode(slice);
      deps.metrics?.observeBatch(opts.kind, slice.length, performance.now() - t);
      return out;
    },
    {
      initialSize: plan.size,
      knownSafe: plan.knownSafe,
      describe: (c) => `chunk ${c.id} ${c.path}:${c.startLine}-${c.endLine}`,
      onHalve: (from, to, err) => {
        deps.metrics?.countOom(opts.kind);
        opts.log.warn({ from, to, err }, `out of memory: halving the ${opts.what}`);
      },
    },
  );
  await memory.record({ sizeUsed, halved: halvings > 0, proven });
  deps.metrics?.countChunks(opts.kind, results.length);
  return { results, sizeUsed, halvings };
}
