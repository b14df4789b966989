import type { ArtifactStore } from '../src/artifacts/store.js';
import { encodeWithHalving } from '../src/embedding/batchHalving.js';
import type { BatchSizeMemory } from '../src/embedding/batchSizeMemory.js';
import type { Logger } from '../src/observability/logger.js';
import type { RunProgress } from '../src/queue/runProgress.js';
import { spladeDocumentText } from '../src/sparse/documentText.js';
import type { SparseEncoder } from '../src/sparse/port.js';
import { artifactKeys, chunkBatchSchema } from '../src/contracts/artifacts.js';
import type { JobProcessor } from '../src/contracts/jobs.js';
import type { EncodeMetrics } from './encodeDense.js';
import { toJobError } from './jobErrors.js';

export interface EncodeSparseDeps {
  encoder: () => Promise<SparseEncoder>;
  artifacts: ArtifactStore;
  progress: RunProgress;
  batchMemory: (model: string) => BatchSizeMemory;
  logger: Logger;
  metrics?: EncodeMetrics;
}

/** encode.sparse: SPLADE document expansion of one staged batch. */
export function createEncodeSparseProcessor(deps: EncodeSparseDeps): JobProcessor<'encode.sparse'> {
  return async function processEncodeSparse(job) {
    const data = job.data;
    const log = deps.logger.child({ job: 'encode.sparse', jobId: job.id, runId: data.runId, batch: data.batchIndex });
    const encoder = await deps.encoder();
    const chunks = await deps.artifacts.getJson(artifactKeys.chunks(data.runId, data.batchIndex), chunkBatchSchema);
    const memory = deps.batchMemory(`splade:${encoder.contract.model}`);
    const plan = await memory.plan();
    try {
      const { results, sizeUsed, halvings, proven } = await encodeWithHalving(
        chunks,
        async (slice) => {
          const t = performance.now();
          const out = await encoder.encodeDocuments(slice.map((c) => spladeDocumentText(c)));
          deps.metrics?.observeBatch('sparse', slice.length, performance.now() - t);
          return out;
        },
        {
          initialSize: plan.size,
          knownSafe: plan.knownSafe,
          describe: (c) => `chunk ${c.id} ${c.path}:${c.startLine}-${c.endLine}`,
          onHalve: (from, to, err) => {
            deps.metrics?.countOom('sparse');
            log.warn({ from, to, err }, 'out of memory: halving the SPLADE batch');
          },
        },
      );
      await memory.record({ sizeUsed, halved: halvings > 0, proven });
      await deps.artifacts.putJson(artifactKeys.sparse(data.runId, data.batchIndex), { contract: encoder.contract, vectors: results });
      await deps.progress.record(data.runId, 'expanded', data.batchIndex, results.length);
      deps.metrics?.countChunks('sparse', results.length);
      return { count: results.length, sizeUsed };
    } catch (err) {
      throw toJobError(err);
    }
  };
}
