import { spladeDocumentText } from '../src/sparse/documentText.js';
import type { SparseEncoder } from '../src/sparse/port.js';
import { artifactKeys } from '../src/contracts/artifacts.js';
import type { JobProcessor } from '../src/contracts/jobs.js';
import { encodeStagedBatch, type EncodeJobDeps } from './encodeBatch.js';
import { toJobError } from './jobErrors.js';

export interface EncodeSparseDeps extends EncodeJobDeps {
  encoder: () => Promise<SparseEncoder>;
}

/** encode.sparse: SPLADE document expansion of one staged batch. */
export function createEncodeSparseProcessor(deps: EncodeSparseDeps): JobProcessor<'encode.sparse'> {
  return async function processEncodeSparse(job) {
    const data = job.data;
    const log = deps.logger.child({ job: 'encode.sparse', jobId: job.id, runId: data.runId, batch: data.batchIndex });
    const encoder = await deps.encoder();
    try {
      const { results, sizeUsed } = await encodeStagedBatch(deps, data, {
        kind: 'sparse',
        memoryKey: `splade:${encoder.contract.model}`,
        encode: (slice) => encoder.encodeDocuments(slice.map((c) => spladeDocumentText(c))),
        log,
        what: 'SPLADE batch',
      });
      await deps.artifacts.putJson(artifactKeys.sparse(data.runId, data.batchIndex), { contract: encoder.contract, vectors: results });
      await deps.progress.record(data.runId, 'expanded', data.batchIndex, results.length);
      return { count: results.length, sizeUsed };
    } catch (err) {
      throw toJobError(err);
    }
  };
}
