import type { EncodeDensePayload } from '../../src/contracts/payloads.js';
import type { EncodeDenseResult } from '../../src/contracts/results.js';
import type { Job } from 'bullmq';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import type { ArtifactStore } from '../../src/artifacts/store.js';
import { chunkId } from '../../src/chunking/chunk.js';
import { type Chunk } from '../../src/contracts/chunk.js';

/**
 * Helpers for driving the encode processors directly (without a queue):
 * staged chunk batches, a job as a processor sees it, and a logger whose
 * records a test can read.
 */

/** `n` distinct small Python chunks. */
export function makeChunks(n: number, prefix = 'mod'): Chunk[] {
  return Array.from({ length: n }, (_, i) => {
    const path = `${prefix}/file_${i}.py`;
    const text = `def handler_${i}(request):\n    return request.user.id + ${i}\n`;
    return { id: chunkId(path, text), path, startLine: 1, endLine: 2, language: 'python', symbols: [`handler_${i}`], text };
  });
}

export async function stageBatch(artifacts: ArtifactStore, runId: string, batchIndex: number, chunks: Chunk[]): Promise<void> {
  await artifacts.putJson(artifactKeys.chunks(runId, batchIndex), chunks);
}

/** The slice of a BullMQ Job the encode processors read. */
export function jobOf(data: EncodeDensePayload, id = `${data.runId}-b${data.batchIndex}`): Job<EncodeDensePayload, EncodeDenseResult, 'encode.dense'> {
  return { id, data, attemptsMade: 0, name: 'encode.dense' } as unknown as Job<EncodeDensePayload, EncodeDenseResult, 'encode.dense'>;
}

/** A pino logger at `level` that keeps every record for assertions. */
export function recordingLogger(level = 'warn'): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), records };
}
