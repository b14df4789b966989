import type { ArtifactStore } from '../src/artifacts/store.js';
import type { EmbeddingContract } from '../src/contracts/embedding.js';
import type { Logger } from '../src/observability/logger.js';
import type { RunProgress } from '../src/queue/runProgress.js';
import type { Sink } from '../src/sinks/port.js';
import type { SinkCircuit } from '../src/sinks/circuit.js';
import { createContainedSinks } from '../src/sinks/contained.js';
import type { SinkFailureLog } from '../src/sinks/failureLog.js';
import { artifactKeys, chunkBatchSchema, denseBatchInfoSchema, sparseBatchSchema } from '../src/contracts/artifacts.js';
import type { JobProcessor } from '../src/contracts/jobs.js';
import type { SinkBatchResult } from '../src/contracts/results.js';

export interface SinkBatchDeps {
  artifacts: ArtifactStore;
  progress: RunProgress;
  /** always written; its failure fails the job (and is retried by BullMQ) */
  primary: Sink;
  /** production sinks: a failure is retried here, then reported, never fatal to the batch */
  optional: Sink[];
  logger: Logger;
  optionalRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** skips a sink that just failed for a while, so later batches do not each wait through its retries */
  circuit?: SinkCircuit;
  /** where given-up optional writes are recorded for operators (Redis stream) */
  failureLog?: SinkFailureLog;
}

/** Run each sink's init once per embedding contract (schema, constraints, vector index of that dim). */
function initOnce() {
  const done = new Map<string, Promise<void>>();
  return (sink: Sink, contract: EmbeddingContract) => {
    const key = `${sink.name}:${contract.model}:${contract.dim}`;
    let p = done.get(key);
    if (!p) {
      p = sink.init(contract).catch((err) => {
        done.delete(key);
        throw err;
      });
      done.set(key, p);
    }
    return p;
  };
}

/** sink.batch: write one encoded batch to every enabled sink, idempotently. */
export function createSinkBatchProcessor(deps: SinkBatchDeps): JobProcessor<'sink.batch'> {
  const init = initOnce();
  return async function processSinkBatch(job) {
    const data = job.data;
    const log = deps.logger.child({ job: 'sink.batch', jobId: job.id, runId: data.runId, batch: data.batchIndex });
    const chunks = await deps.artifacts.getJson(artifactKeys.chunks(data.runId, data.batchIndex), chunkBatchSchema);
    const dense = await deps.artifacts.getVectors(artifactKeys.dense(data.runId, data.batchIndex));
    const { contract } = await deps.artifacts.getJson(artifactKeys.denseContract(data.runId, data.batchIndex), denseBatchInfoSchema);
    const sparse = data.sparse
      ? await deps.artifacts.getJson(artifactKeys.sparse(data.runId, data.batchIndex), sparseBatchSchema)
      : undefined;
    const batch = {
      repo: data.repo,
      runId: data.runId,
      batchIndex: data.batchIndex,
      chunks,
      dense,
      sparse: sparse?.vectors,
      embedding: contract,
      sparseContract: sparse?.contract,
    };

    await init(deps.primary, contract);
    const written = await deps.primary.writeBatch(batch);
    // optional sinks: in parallel, each retried on its own; init failures count as write failures
    const contained = createContainedSinks({
      logger: log,
      attempts: deps.optionalRetries ?? 3,
      sleep: deps.sleep,
      circuit: deps.circuit,
      failureLog: deps.failureLog,
    });
    const optional = await contained.run(
      deps.optional,
      async (sink) => {
        await init(sink, contract);
        await sink.writeBatch(batch);
      },
      { repo: data.repo, runId: data.runId, op: 'write', batchIndex: data.batchIndex, chunks: chunks.length },
    );
    const sinks: SinkBatchResult['sinks'] = { [deps.primary.name]: { status: 'ok' }, ...optional };
    await deps.progress.record(data.runId, 'written', data.batchIndex, chunks.length);
    // the manifest names parts relative to the repo directory
    const part = `parts/${written.ref!.split('/').pop()}`;
    return { batchIndex: data.batchIndex, part, written: written.written, sinks };
  };
}
