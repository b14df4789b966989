import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AnswerFailure } from './failure.js';
import { answerKeys } from './keys.js';

/**
 * Answer events and their publisher. The query worker is the only writer of
 * an answer's events: every event gets the next sequence number, is appended
 * to a capped per-answer Redis Stream (entry id `<seq>-0`) and PUBLISHed on
 * the answer's channel, all inside one Lua script. So a subscriber never sees
 * a published event that is missing from the stream, and the stream holds
 * every sequence number without holes (until MAXLEN trims the oldest).
 */

export type AnswerEventName = 'retrieval' | 'token' | 'citation' | 'done' | 'error';
export const TERMINAL_EVENTS: ReadonlySet<AnswerEventName> = new Set(['done', 'error']);

/** Where a citation points: 1-based inclusive lines of a repo-relative path. */
export interface Citation {
  n: number;
  chunkId: string;
  path: string;
  startLine: number;
  endLine: number;
}

export interface RetrievalEventData {
  /** the chunks given to the generator, numbered as the answer cites them */
  chunks: (Citation & { language: string; score: number; channels: Record<string, number> })[];
  dropped: { channel: string; reason: string }[];
  timingsMs: Record<string, number>;
  manifestVersion: number;
}

export interface DoneEventData {
  answer: string;
  citations: Citation[];
  timingsMs: Record<string, number>;
}

export interface AnswerEventDataMap {
  retrieval: RetrievalEventData;
  token: { text: string };
  citation: Citation;
  done: DoneEventData;
  error: AnswerFailure;
}

/** What travels on the channel and sits in the stream. */
export interface AnswerEvent<E extends AnswerEventName = AnswerEventName> {
  seq: number;
  event: E;
  data: AnswerEventDataMap[E];
}

export function parseAnswerEvent(json: string): AnswerEvent | null {
  try {
    const v = JSON.parse(json) as AnswerEvent;
    return Number.isSafeInteger(v?.seq) && typeof v.event === 'string' ? v : null;
  } catch {
    return null;
  }
}

// KEYS: seq, stream, meta. ARGV: channel, event, data json, maxlen, ttl, then meta field/value pairs.
// The event name is one of ours (no quotes), the data is JSON: concatenation is safe.
const PUBLISH_LUA = `
local seq = redis.call('INCR', KEYS[1])
local msg = '{"seq":' .. seq .. ',"event":"' .. ARGV[2] .. '","data":' .. ARGV[3] .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'm', msg)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
if #ARGV > 5 then
  redis.call('HSET', KEYS[3], unpack(ARGV, 6))
  redis.call('EXPIRE', KEYS[3], ARGV[5])
end
redis.call('PUBLISH', ARGV[1], msg)
return seq
`;

/** EVALSHA with a one-time EVAL when the server does not know the script yet (restart, SCRIPT FLUSH). */
export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}

const publishScript = luaScript(PUBLISH_LUA);

export interface AnswerEventPublisher {
  /** Append and publish one event; resolves with its sequence number. */
  publish<E extends 'retrieval' | 'token' | 'citation'>(answerId: string, event: E, data: AnswerEventDataMap[E]): Promise<number>;
  /** The terminal event, with the answer's final record written in the same atomic step. */
  finish<E extends 'done' | 'error'>(answerId: string, event: E, data: AnswerEventDataMap[E], meta: Record<string, string>): Promise<number>;
}

export function createAnswerEventPublisher(opts: { redis: Redis; prefix: string; maxLen: number; ttlS: number }): AnswerEventPublisher {
  const run = async (answerId: string, event: AnswerEventName, data: unknown, meta: Record<string, string> = {}) => {
    const k = answerKeys(opts.prefix, answerId);
    const pairs = Object.entries(meta).flat();
    const seq = await publishScript(opts.redis, [k.seq, k.stream, k.meta], [k.channel, event, JSON.stringify(data), opts.maxLen, opts.ttlS, ...pairs]);
    return Number(seq);
  };
  return {
    publish: (answerId, event, data) => run(answerId, event, data),
    finish: (answerId, event, data, meta) => run(answerId, event, data, meta),
  };
}
