import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { parseAnswerEvent, TERMINAL_EVENTS, type AnswerEvent } from './events.js';
import { answerKeys } from './keys.js';
import type { SubscriptionHub } from './pubsub.js';

/**
 * The API side of answer streaming: turns an answer's pub/sub channel plus
 * its Redis Stream into one gap-free, duplicate-free, ordered sequence for a
 * client that may join late or come back with Last-Event-ID.
 *
 *   1. SUBSCRIBE first (through the shared hub) and buffer live events;
 *   2. back-fill from the stream: XRANGE from (last delivered + 1);
 *   3. deliver buffered and live events strictly in sequence order, skipping
 *      anything already delivered; a hole (a message lost while the subscriber
 *      was reconnecting) is filled from the stream again;
 *   4. stop after `done` or `error`.
 * Because the worker XADDs before it PUBLISHes (atomically), every event a
 * subscriber can see is already in the stream when the back-fill reads it.
 * An idle answer is re-checked against the stream every `pollMs`, so a lost
 * message can delay delivery by at most that long, never lose it.
 */

export type RelayOutcome =
  | { kind: 'ended'; lastSeq: number }
  | { kind: 'aborted'; lastSeq: number }
  /** the stream no longer holds the events after lastSeq (trimmed by MAXLEN or expired) */
  | { kind: 'expired'; lastSeq: number; firstAvailable: number | null };

export interface RelayStreamOptions {
  /** sequence number the client already has (0 for none) */
  lastEventId: number;
  signal: AbortSignal;
  /** deliver one event; awaited, so a slow client slows its own stream only */
  write(event: AnswerEvent): Promise<void> | void;
}

export interface AnswerRelay {
  stream(answerId: string, opts: RelayStreamOptions): Promise<RelayOutcome>;
}

export function createAnswerRelay(opts: { redis: Redis; hub: SubscriptionHub; prefix: string; logger: Logger; pollMs?: number; pageSize?: number }): AnswerRelay {
  const pollMs = opts.pollMs ?? 2_000;
  const pageSize = opts.pageSize ?? 500;

  return {
    async stream(answerId, o) {
      const keys = answerKeys(opts.prefix, answerId);
      let last = o.lastEventId;
      let finished = false;
      let needFill = true; // the first pass is the back-fill
      const pending = new Map<number, AnswerEvent>();
      let wake: (() => void) | null = null;
      const kick = () => {
        const w = wake;
        wake = null;
        w?.();
      };

      const unsubscribe = await opts.hub.subscribe(keys.channel, {
        message(payload) {
          const ev = parseAnswerEvent(payload);
          if (!ev || ev.seq <= last) return;
          pending.set(ev.seq, ev);
          kick();
        },
        resync() {
          needFill = true;
          kick();
        },
      });
      const onAbort = () => kick();
      o.signal.addEventListener('abort', onAbort);

      const deliver = async (ev: AnswerEvent) => {
        await o.write(ev);
        last = ev.seq;
        if (TERMINAL_EVENTS.has(ev.event)) finished = true;
      };

      /** Read the stream after `last`; returns the first available seq when events are missing. */
      const fill = async (): Promise<{ gapAt: number } | null> => {
        for (;;) {
          const entries = (await opts.redis.xrange(keys.stream, `${last + 1}-0`, '+', 'COUNT', pageSize)) as [string, string[]][];
          for (const [id, fields] of entries) {
            const seq = Number(id.slice(0, id.indexOf('-')));
            if (seq <= last) continue;
            if (seq !== last + 1) return { gapAt: seq };
            const ev = parseAnswerEvent(fields[fields.indexOf('m') + 1] ?? '');
            if (!ev) throw new Error(`answer ${answerId}: stream entry ${id} is not an answer event`);
            await deliver(ev);
            if (finished || o.signal.aborted) return null;
          }
          if (entries.length < pageSize) return null;
        }
      };

      try {
        while (!finished && !o.signal.aborted) {
          if (needFill) {
            needFill = false;
            const gap = await fill();
            if (gap) {
              opts.logger.warn({ answerId, lastSeq: last, firstAvailable: gap.gapAt }, 'answer events expired before this client read them');
              return { kind: 'expired', lastSeq: last, firstAvailable: gap.gapAt };
            }
            for (const seq of pending.keys()) if (seq <= last) pending.delete(seq);
            continue;
          }
          let next: AnswerEvent | undefined;
          while (!finished && !o.signal.aborted && (next = pending.get(last + 1))) {
            pending.delete(next.seq);
            await deliver(next);
          }
          if (finished || o.signal.aborted) break;
          if (pending.size > 0) {
            // a later event arrived but not its predecessor: read the hole from the stream
            needFill = true;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            const timer = setTimeout(() => {
              needFill = true;
              kick();
            }, pollMs);
            const done = wake;
            wake = () => {
              clearTimeout(timer);
              done();
            };
          });
        }
        return finished ? { kind: 'ended', lastSeq: last } : { kind: 'aborted', lastSeq: last };
      } finally {
        o.signal.removeEventListener('abort', onAbort);
        unsubscribe();
      }
    },
  };
}
