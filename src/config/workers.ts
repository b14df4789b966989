import { z } from 'zod';
import { int } from './parsers.js';

/** BullMQ worker settings: job locks, stall detection, and jobs per process for each CPU role. */
export const workersSection = z
  .object({
    WORKER_LOCK_MS: int(60_000, 1_000),
    WORKER_STALLED_INTERVAL_MS: int(30_000, 500),
    INDEX_CONCURRENCY: int(2, 1, 64),
    SINK_CONCURRENCY: int(4, 1, 64),
    ANSWER_CONCURRENCY: int(8, 1, 256),
  })
  .transform((e) => ({
    workers: {
      lockMs: e.WORKER_LOCK_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      indexConcurrency: e.INDEX_CONCURRENCY,
      sinkConcurrency: e.SINK_CONCURRENCY,
      answerConcurrency: e.ANSWER_CONCURRENCY,
    },
  }));
