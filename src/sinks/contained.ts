import type { Logger } from '../observability/logger.js';
import { retry, type Sleep } from '../resilience/index.js';
import type { SinkCircuit } from './circuit.js';
import type { SinkFailureLog } from './failureLog.js';
import type { Sink } from './port.js';

export interface SinkStatus {
  status: 'ok' | 'failed';
  detail?: string;
}

export interface ContainedOp {
  repo: string;
  runId: string;
  op: 'write' | 'delete';
  batchIndex?: number;
  chunks: number;
}

export interface ContainedSinksDeps {
  logger: Logger;
  /** attempts per sink and operation, the first included */
  attempts: number;
  circuit?: SinkCircuit;
  failureLog?: SinkFailureLog;
  sleep?: Sleep;
  random?: () => number;
  /** first pause between attempts; doubles each time, with +-20% jitter (src/resilience/backoff.ts) */
  baseDelayMs?: number;
}

/**
 * Runs one operation against every optional sink (Neo4j, OpenSearch) so that
 * a sink that is down fails only its own work: each sink runs in parallel,
 * retries with jittered exponential backoff, and ends as `failed` with the
 * reason instead of throwing. Failures go to the log, the failure stream and
 * the circuit breaker; the caller's primary work (Parquet, the manifest) is
 * never held back by them.
 */
export function createContainedSinks(deps: ContainedSinksDeps) {
  if (!Number.isInteger(deps.attempts) || deps.attempts < 1) {
    throw new RangeError(`attempts per sink must be an integer >= 1, got ${deps.attempts}`);
  }
  const baseDelayMs = deps.baseDelayMs ?? 200;

  async function one(sink: Sink, work: (sink: Sink) => Promise<unknown>, ctx: ContainedOp): Promise<SinkStatus> {
    const skip = deps.circuit?.skipReason(sink.name);
    if (skip) {
      await note(sink, ctx, 0, skip);
      return { status: 'failed', detail: skip };
    }
    let attempts = 0;
    try {
      await retry(
        (attempt) => {
          attempts = attempt;
          return work(sink);
        },
        {
          attempts: deps.attempts,
          baseDelayMs,
          retryable: () => true, // a sink's failures are not classified: any of them may pass on the next try
          sleep: deps.sleep,
          random: deps.random,
          onRetry: ({ attempt, error }) =>
            deps.logger.warn({ sink: sink.name, op: ctx.op, attempt, err: messageOf(error) }, 'sink operation failed; retrying'),
        },
      );
      deps.circuit?.succeeded(sink.name);
      return { status: 'ok' };
    } catch (err) {
      const detail = messageOf(err);
      deps.circuit?.failed(sink.name, detail);
      await note(sink, ctx, attempts, detail);
      return { status: 'failed', detail };
    }
  }

  async function note(sink: Sink, ctx: ContainedOp, attempts: number, detail: string) {
    deps.logger.error(
      { sink: sink.name, op: ctx.op, repo: ctx.repo, runId: ctx.runId, batch: ctx.batchIndex, chunks: ctx.chunks, attempts, err: detail },
      `${sink.name} ${ctx.op} failed; the other sinks carry on`,
    );
    await deps.failureLog
      ?.record({ at: new Date().toISOString(), sink: sink.name, attempts, detail, ...ctx })
      .catch((err) => deps.logger.warn({ err }, 'could not record the sink failure in Redis'));
  }

  return {
    /** Run `work` on every sink; resolves with each sink's status, never rejects. */
    async run(sinks: Sink[], work: (sink: Sink) => Promise<unknown>, ctx: ContainedOp): Promise<Record<string, SinkStatus>> {
      const results = await Promise.all(sinks.map(async (s) => [s.name, await one(s, work, ctx)] as const));
      return Object.fromEntries(results);
    },
  };
}

const messageOf = (err: unknown): string => (err as Error)?.message ?? String(err);

export type ContainedSinks = ReturnType<typeof createContainedSinks>;
