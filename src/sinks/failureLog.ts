import type { Redis } from 'ioredis';

/**
 * A record of every optional-sink write or delete that gave up, kept in a
 * capped Redis Stream (`<prefix>:sink-failures`) so an operator can see what
 * Neo4j or OpenSearch missed (repo, run, batch, sink) after the run's own
 * staged files are gone, and heal it with `codeintel sinks resync <repo>`.
 *
 *   redis-cli XREVRANGE codeintel:sink-failures + - COUNT 20
 */
export interface SinkFailure {
  /** ISO time of the last failed attempt */
  at: string;
  repo: string;
  runId: string;
  sink: string;
  op: 'write' | 'delete';
  /** the batch a write belonged to (absent for deletes, which run at finalize) */
  batchIndex?: number;
  /** chunks the operation carried */
  chunks: number;
  attempts: number;
  detail: string;
}

export interface SinkFailureLog {
  record(failure: SinkFailure): Promise<void>;
  /** newest first */
  recent(limit?: number): Promise<SinkFailure[]>;
}

export const sinkFailuresKey = (prefix: string) => `${prefix}:sink-failures`;

/** The same log, also calling `onRecord` (e.g. a Prometheus counter) for every failure. */
export function observedFailureLog(log: SinkFailureLog, onRecord: (f: SinkFailure) => void): SinkFailureLog {
  return {
    async record(f) {
      onRecord(f);
      await log.record(f);
    },
    recent: (limit) => log.recent(limit),
  };
}

export function createSinkFailureLog(redis: Redis, prefix: string, opts: { maxLen?: number } = {}): SinkFailureLog {
  const key = sinkFailuresKey(prefix);
  const maxLen = opts.maxLen ?? 10_000;
  return {
    async record(f) {
      const fields: string[] = ['at', f.at, 'repo', f.repo, 'runId', f.runId, 'sink', f.sink, 'op', f.op];
      if (f.batchIndex !== undefined) fields.push('batchIndex', String(f.batchIndex));
      fields.push('chunks', String(f.chunks), 'attempts', String(f.attempts), 'detail', f.detail.slice(0, 2000));
      await redis.xadd(key, 'MAXLEN', '~', String(maxLen), '*', ...fields);
    },
    async recent(limit = 50) {
      const entries = await redis.xrevrange(key, '+', '-', 'COUNT', limit);
      return entries.map(([, flat]) => {
        const m: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) m[flat[i]] = flat[i + 1];
        return {
          at: m.at,
          repo: m.repo,
          runId: m.runId,
          sink: m.sink,
          op: m.op === 'delete' ? 'delete' : 'write',
          ...(m.batchIndex !== undefined ? { batchIndex: Number(m.batchIndex) } : {}),
          chunks: Number(m.chunks ?? 0),
          attempts: Number(m.attempts ?? 0),
          detail: m.detail ?? '',
        };
      });
    },
  };
}
