import type { Redis } from 'ioredis';
import type { AnswerFailure } from './failure.js';
import type { SearchFilters } from '../contracts/search.js';
import type { Citation } from './events.js';
import { answerKeys, cancelChannel } from './keys.js';

/**
 * The durable record of one answer in Redis (a hash with the stream's TTL),
 * shared by every API and worker process: what GET /v1/answers/:id serves.
 * The worker writes the final fields together with the terminal event (see
 * events.ts finish), so a poller and a streamer never disagree.
 */

export type AnswerState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const FINAL_STATES: ReadonlySet<AnswerState> = new Set(['completed', 'failed', 'cancelled']);

export interface AnswerRecord {
  answerId: string;
  state: AnswerState;
  repo: string;
  question: string;
  k: number;
  filters?: SearchFilters;
  sessionId?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  answer?: string;
  citations?: Citation[];
  timingsMs?: Record<string, number>;
  error?: AnswerFailure;
}

/** The hash fields of a finished answer (written by the terminal event's script). */
export function finalFields(r: { state: AnswerState; answer: string; citations: Citation[]; timingsMs: Record<string, number>; error?: AnswerFailure }): Record<string, string> {
  return {
    state: r.state,
    finishedAt: new Date().toISOString(),
    answer: r.answer,
    citations: JSON.stringify(r.citations),
    timingsMs: JSON.stringify(r.timingsMs),
    ...(r.error ? { error: JSON.stringify(r.error) } : {}),
  };
}

export function createAnswerStore(opts: { redis: Redis; prefix: string; ttlS: number }) {
  const { redis, prefix, ttlS } = opts;
  const keys = (id: string) => answerKeys(prefix, id);

  return {
    async create(r: Pick<AnswerRecord, 'answerId' | 'repo' | 'question' | 'k' | 'filters' | 'sessionId'>): Promise<AnswerRecord> {
      const record: AnswerRecord = { ...r, state: 'queued', createdAt: new Date().toISOString() };
      const fields: Record<string, string> = {
        state: record.state,
        repo: r.repo,
        question: r.question,
        k: String(r.k),
        createdAt: record.createdAt,
        ...(r.filters ? { filters: JSON.stringify(r.filters) } : {}),
        ...(r.sessionId ? { sessionId: r.sessionId } : {}),
      };
      const k = keys(r.answerId);
      await redis.multi().hset(k.meta, fields).expire(k.meta, ttlS).exec();
      return record;
    },

    async get(answerId: string): Promise<AnswerRecord | null> {
      const h = await redis.hgetall(keys(answerId).meta);
      if (!h.state) return null;
      const json = <T>(s: string | undefined): T | undefined => (s ? (JSON.parse(s) as T) : undefined);
      return {
        answerId,
        state: h.state as AnswerState,
        repo: h.repo,
        question: h.question,
        k: Number(h.k),
        filters: json(h.filters),
        sessionId: h.sessionId || undefined,
        createdAt: h.createdAt,
        startedAt: h.startedAt || undefined,
        finishedAt: h.finishedAt || undefined,
        answer: h.answer,
        citations: json(h.citations),
        timingsMs: json(h.timingsMs),
        error: json(h.error),
      };
    },

    /** The worker takes the answer; false when another run already took it (a retried or stalled job). */
    async claim(answerId: string): Promise<boolean> {
      const k = keys(answerId);
      const ok = await redis.set(k.claim, String(process.pid), 'EX', ttlS, 'NX');
      if (ok !== 'OK') return false;
      await redis.hset(k.meta, { state: 'running', startedAt: new Date().toISOString() });
      return true;
    },

    /** The last sequence number handed out (0 before the first event). */
    async lastSeq(answerId: string): Promise<number> {
      return Number((await redis.get(keys(answerId).seq)) ?? 0);
    },

    /** Ask the worker to stop: a flag for a worker that has not started yet, a message for one that has. */
    async requestCancel(answerId: string): Promise<void> {
      await redis.multi().set(keys(answerId).cancel, '1', 'EX', ttlS).publish(cancelChannel(prefix), answerId).exec();
    },

    async cancelRequested(answerId: string): Promise<boolean> {
      return (await redis.exists(keys(answerId).cancel)) === 1;
    },

    /** SSE clients attached to the answer, across every API process. */
    async attachWatcher(answerId: string): Promise<number> {
      const k = keys(answerId);
      const [[, n]] = (await redis.multi().incr(k.watchers).expire(k.watchers, ttlS).exec()) as [[Error | null, number]];
      return n;
    },

    async detachWatcher(answerId: string): Promise<number> {
      return redis.decr(keys(answerId).watchers);
    },

    async watchers(answerId: string): Promise<number> {
      return Number((await redis.get(keys(answerId).watchers)) ?? 0);
    },
  };
}

export type AnswerStore = ReturnType<typeof createAnswerStore>;
