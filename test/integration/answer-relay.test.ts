import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnswerEventPublisher, type AnswerEvent } from '../../src/answer/events.js';
import { answerKeys } from '../../src/answer/keys.js';
import { createSubscriptionHub, type SubscriptionHub } from '../../src/answer/pubsub.js';
import { createAnswerRelay, type AnswerRelay } from '../../src/answer/relay.js';
import { silentLogger } from '../../src/observability/logger.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

/**
 * The relay's promise, on a real Redis: whoever subscribes (early, late, on
 * another API process, or again with Last-Event-ID) gets every event exactly
 * once and in order, while the worker keeps publishing.
 */

const logger = silentLogger();

describe('answer events: Redis pub/sub + stream relay', () => {
  const prefix = `citest-relay-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  const conns: Redis[] = [];
  let hubA: SubscriptionHub;
  let hubB: SubscriptionHub;
  let relayA: AnswerRelay;
  let relayB: AnswerRelay;
  const connect = () => {
    const c = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    conns.push(c);
    return c;
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
    // two "API processes": each has its own command and subscriber connections
    hubA = createSubscriptionHub({ connect, logger });
    hubB = createSubscriptionHub({ connect, logger });
    relayA = createAnswerRelay({ redis: connect(), hub: hubA, prefix, logger, pollMs: 200 });
    relayB = createAnswerRelay({ redis: connect(), hub: hubB, prefix, logger, pollMs: 200 });
  });
  afterAll(async () => {
    await hubA?.close();
    await hubB?.close();
    for (const c of conns) c.disconnect();
    await dropPrefix(prefix);
    redis?.disconnect();
  });

  const publisher = (maxLen = 10_000) => createAnswerEventPublisher({ redis, prefix, maxLen, ttlS: 60 });

  /** Publish n token events (yielding between them) and a done event. */
  async function produce(answerId: string, n: number, opts: { maxLen?: number; every?: (i: number) => Promise<void> } = {}) {
    const pub = publisher(opts.maxLen);
    for (let i = 1; i <= n; i++) {
      await pub.publish(answerId, 'token', { text: `t${i} ` });
      await opts.every?.(i);
    }
    await pub.finish(answerId, 'done', { answer: 'x', citations: [], timingsMs: {} }, { state: 'completed' });
  }

  async function collect(relay: AnswerRelay, answerId: string, lastEventId = 0, stopAfter?: number) {
    const got: AnswerEvent[] = [];
    const abort = new AbortController();
    const outcome = await relay.stream(answerId, {
      lastEventId,
      signal: abort.signal,
      write(ev) {
        got.push(ev);
        if (stopAfter !== undefined && got.length >= stopAfter) abort.abort();
      },
    });
    return { got, outcome };
  }

  const seqs = (evs: AnswerEvent[]) => evs.map((e) => e.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('gives a late subscriber the whole answer from the stream, in order, ending at done', async () => {
    const id = randomUUID();
    await produce(id, 40);
    const { got, outcome } = await collect(relayA, id);
    expect(outcome).toEqual({ kind: 'ended', lastSeq: 41 });
    expect(seqs(got)).toEqual(range(1, 41));
    expect(got[0]).toEqual({ seq: 1, event: 'token', data: { text: 't1 ' } });
    expect(got.at(-1)!.event).toBe('done');
    // the final record was written with the terminal event
    expect(await redis.hget(answerKeys(prefix, id).meta, 'state')).toBe('completed');
  });

  it('gives subscribers that join at random moments of a live answer, on two API processes, every event exactly once', async () => {
    const id = randomUUID();
    const n = 300;
    const joins: Promise<{ got: AnswerEvent[] }>[] = [];
    const joinAt = new Set([1, 2, 17, 60, 61, 150, 151, 152, 240, 299]);
    const producing = produce(id, n, {
      every: async (i) => {
        if (joinAt.has(i)) joins.push(collect(joins.length % 2 ? relayB : relayA, id));
        await new Promise((r) => setImmediate(r));
      },
    });
    // and one that was there before the first event
    joins.push(collect(relayB, id));
    await producing;
    const results = await Promise.all(joins);
    expect(results).toHaveLength(joinAt.size + 1);
    for (const r of results) expect(seqs(r.got)).toEqual(range(1, n + 1));
  });

  it('resumes a reconnecting client after its Last-Event-ID: no gap, no repeat', async () => {
    const id = randomUUID();
    const producing = produce(id, 200, { every: () => new Promise((r) => setImmediate(r)) });
    const first = await collect(relayA, id, 0, 37);
    expect(first.outcome.kind).toBe('aborted');
    expect(seqs(first.got)).toEqual(range(1, 37));
    // reconnect, possibly through the other API process
    const second = await collect(relayB, id, 37);
    await producing;
    expect(second.outcome).toEqual({ kind: 'ended', lastSeq: 201 });
    expect(seqs([...first.got, ...second.got])).toEqual(range(1, 201));
  });

  it('fills a hole when a published message was lost (the stream has it)', async () => {
    const id = randomUUID();
    const k = answerKeys(prefix, id);
    const pub = publisher();
    await pub.publish(id, 'token', { text: 'a' });
    const streaming = collect(relayA, id);
    await new Promise((r) => setTimeout(r, 50));
    // seq 2 reaches the stream but its PUBLISH is "lost"
    const seq = await redis.incr(k.seq);
    await redis.xadd(k.stream, `${seq}-0`, 'm', JSON.stringify({ seq, event: 'token', data: { text: 'b' } }));
    await pub.publish(id, 'token', { text: 'c' });
    await pub.finish(id, 'done', { answer: 'abc', citations: [], timingsMs: {} }, { state: 'completed' });
    const { got } = await streaming;
    expect(got.map((e) => (e.event === 'token' ? (e.data as { text: string }).text : e.event))).toEqual(['a', 'b', 'c', 'done']);
  });

  it('catches up after its subscriber connection drops mid-answer', async () => {
    const name = `citest-hub-${randomBytes(4).toString('hex')}`;
    const hub = createSubscriptionHub({
      connect: () => {
        const c = new Redis(REDIS_URL, { maxRetriesPerRequest: null, connectionName: name });
        conns.push(c);
        return c;
      },
      logger,
    });
    try {
      // no idle polling here: only the reconnect resync can recover what was missed
      const relay = createAnswerRelay({ redis: connect(), hub, prefix, logger, pollMs: 60_000 });
      const id = randomUUID();
      const pub = publisher();
      await pub.publish(id, 'token', { text: 'before' });
      const streaming = collect(relay, id);
      await new Promise((r) => setTimeout(r, 50));
      const line = String(await redis.client('LIST')).split('\n').find((l) => l.includes(` name=${name} `));
      expect(line, 'the hub connection is listed by its name').toBeDefined();
      await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(line!)![1]);
      // published while the subscriber is down: pub/sub drops these, the stream keeps them
      await pub.publish(id, 'token', { text: 'while down' });
      await pub.finish(id, 'done', { answer: '', citations: [], timingsMs: {} }, { state: 'completed' });
      const { got, outcome } = await streaming;
      expect(outcome.kind).toBe('ended');
      expect(got.map((e) => e.event)).toEqual(['token', 'token', 'done']);
    } finally {
      await hub.close();
    }
  });

  it('shares one subscription per channel among a process\'s clients and drops it when the last leaves', async () => {
    const id = randomUUID();
    const streams = [collect(relayA, id), collect(relayA, id), collect(relayA, id)];
    await new Promise((r) => setTimeout(r, 50));
    expect(hubA.channels().filter((c) => c.endsWith(id))).toHaveLength(1);
    await produce(id, 3);
    await Promise.all(streams);
    expect(hubA.channels().filter((c) => c.endsWith(id))).toHaveLength(0);
  });

  it('says so instead of skipping events when the capped stream no longer holds them', async () => {
    const id = randomUUID();
    await produce(id, 1000, { maxLen: 16 });
    const { got, outcome } = await collect(relayA, id);
    expect(got).toEqual([]);
    expect(outcome.kind).toBe('expired');
    expect(outcome).toMatchObject({ lastSeq: 0 });
    expect((outcome as { firstAvailable: number }).firstAvailable).toBeGreaterThan(1);
    expect(await redis.xlen(answerKeys(prefix, id).stream)).toBeLessThan(1000);
  });
});
