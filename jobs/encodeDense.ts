import type { Chunk } from '../src/contracts/chunk.js';
import { EmbeddingError } from '../src/errors/embeddingError.js';
import { toJobError } from './jobErrors.js';
import { encodeStagedBatch, type EncodeJobDeps } from './encodeBatch.js';
import type { Embedder } from '../src/embedding/port.js';
import { artifactKeys } from '../src/contracts/artifacts.js';
import type { JobProcessor } from '../src/contracts/jobs.js';
import type { EncodeDenseResult } from '../src/contracts/results.js';
import { EmbedderUnavailableError } from '../src/errors/embedderUnavailableError.js';
import { WaitingError } from 'bullmq';
import type { DeviceOutage } from '../src/gpu/deviceOutage.js';

export interface EncodeDenseDeps extends EncodeJobDeps {
  embedder: () => Promise<Embedder>;
  /** this worker's device: when set, a batch its dead device cannot run goes back to the queue for the others */
  device?: DeviceOutage;
}

/**
 * How often one batch may be handed back by out devices before it fails
 * like any other job (by attempts with backoff): a bound, so a batch cannot
 * bounce between devices forever.
 */
export const MAX_HANDBACKS = 20;

/** The text a dense model sees for a chunk: its path as a header line, then the code. */
export const denseDocumentText = (c: Chunk) => `${c.path}\n${c.text}`;

/** A transient failure the adapter already retried (vLLM down, restarting, overloaded). */
export const isUnavailable = (err: unknown) => err instanceof EmbeddingError && err.retryable;


/** The failure plus what the engine's health check says now, so the failed job tells an operator where to look. */
export async function describeUnavailable(embedder: Embedder, err: Error): Promise<EmbedderUnavailableError & { healthOk: boolean }> {
  const health = await embedder.health().catch((e: Error) => ({ ok: false, detail: e.message }));
  const said = health.ok ? `answers (${health.detail ?? 'ok'})` : `fails (${health.detail ?? 'no detail'})`;
  return Object.assign(new EmbedderUnavailableError(`${err.message}; health check ${said}`, { cause: err }), { healthOk: health.ok });
}


/** encode.dense: embed one staged batch, halving on out-of-memory, and stage the vectors. */
export function createEncodeDenseProcessor(deps: EncodeDenseDeps): JobProcessor<'encode.dense'> {
  return async function processEncodeDense(job, token) {
    const data = job.data;
    const log = deps.logger.child({ job: 'encode.dense', jobId: job.id, runId: data.runId, batch: data.batchIndex });
    const embedder = await deps.embedder();
    const started = performance.now();
    try {
      const { results, sizeUsed, halvings } = await encodeStagedBatch(deps, data, {
        kind: 'dense',
        memoryKey: embedder.contract.model,
        encode: (slice) => embedder.embedDocuments(slice.map(denseDocumentText)),
        log: log.child({ model: embedder.contract.model }),
        what: 'batch',
      });
      await deps.artifacts.putVectors(artifactKeys.dense(data.runId, data.batchIndex), results);
      const contract = { ...embedder.contract, dim: results[0]?.length ?? embedder.contract.dim };
      const result: EncodeDenseResult = { count: results.length, model: contract.model, provider: contract.provider, dim: contract.dim, batchSizeUsed: sizeUsed };
      await deps.artifacts.putJson(artifactKeys.denseContract(data.runId, data.batchIndex), { ...result, contract, halvings });
      await deps.progress.record(data.runId, 'embedded', data.batchIndex, results.length);
      log.debug({ count: results.length, ms: Math.round(performance.now() - started), sizeUsed, halvings }, 'batch embedded');
      return result;
    } catch (err) {
      if (isUnavailable(err)) {
        // Not an OOM: the engine is down or restarting. Say what its health check
        // answers and let BullMQ retry the job later with backoff.
        const unavailable = await describeUnavailable(embedder, err as Error);
        const handbacks = (job.attemptsStarted ?? 0) - (job.attemptsMade ?? 0);
        if (!unavailable.healthOk && deps.device && token && handbacks <= MAX_HANDBACKS) {
          // This device is out, not the batch at fault: hand the batch back (no attempt spent) and stop
          // taking jobs here, so a healthy device runs it now rather than after a backoff.
          await deps.device.report(unavailable.message);
          await job.moveToWait(token);
          log.warn({ err: unavailable, handbacks }, 'device out: batch handed back to the queue');
          throw new WaitingError();
        }
        log.warn({ err: unavailable, attempt: job.attemptsMade + 1 }, 'embedding engine unavailable; the job will be retried with backoff');
        throw unavailable;
      }
      throw toJobError(err);
    }
  };
}
