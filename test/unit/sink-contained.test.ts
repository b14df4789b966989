import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { createSinkCircuit } from '../../src/sinks/circuit.js';
import { createContainedSinks } from '../../src/sinks/contained.js';
import type { SinkFailure, SinkFailureLog } from '../../src/sinks/failureLog.js';
import type { Sink } from '../../src/sinks/port.js';

function sink(name: string, behaviour: (call: number) => void): Sink & { calls: number } {
  const s = {
    name,
    calls: 0,
    async init() {},
    async writeBatch() {
      s.calls++;
      behaviour(s.calls);
      return { written: 1 };
    },
    async deleteChunks() {},
    async health() {
      return { ok: true };
    },
    async close() {},
  };
  return s;
}

function memoryLog(): SinkFailureLog & { entries: SinkFailure[] } {
  const entries: SinkFailure[] = [];
  return { entries, record: async (f) => void entries.push(f), recent: async () => [...entries].reverse() };
}

const ctx = { repo: 'r', runId: 'run1', op: 'write' as const, batchIndex: 3, chunks: 7 };
const write = (s: Sink) => s.writeBatch({} as never);

describe('contained optional-sink operations', () => {
  it('retries a failing sink with growing, jittered pauses and reports ok once it succeeds', async () => {
    const pauses: number[] = [];
    const flaky = sink('os', (n) => {
      if (n < 3) throw new Error(`503 busy (${n})`);
    });
    const contained = createContainedSinks({ logger: silentLogger(), attempts: 3, sleep: async (ms) => void pauses.push(ms), random: () => 0.5 });
    expect(await contained.run([flaky], write, ctx)).toEqual({ os: { status: 'ok' } });
    expect(flaky.calls).toBe(3);
    expect(pauses).toEqual([200, 400]);
  });

  it('gives up after the attempts, records the failure, and leaves the other sinks unaffected', async () => {
    const log = memoryLog();
    const down = sink('neo4j', () => {
      throw new Error('ECONNREFUSED');
    });
    const up = sink('opensearch', () => {});
    const contained = createContainedSinks({ logger: silentLogger(), attempts: 2, sleep: async () => {}, failureLog: log });
    const result = await contained.run([down, up], write, ctx);
    expect(result).toEqual({ neo4j: { status: 'failed', detail: 'ECONNREFUSED' }, opensearch: { status: 'ok' } });
    expect(down.calls).toBe(2);
    expect(up.calls).toBe(1);
    expect(log.entries).toEqual([expect.objectContaining({ sink: 'neo4j', repo: 'r', runId: 'run1', op: 'write', batchIndex: 3, chunks: 7, attempts: 2, detail: 'ECONNREFUSED' })]);
  });

  it('never rejects, even when recording the failure fails too', async () => {
    const down = sink('neo4j', () => {
      throw new Error('down');
    });
    const brokenLog: SinkFailureLog = { record: async () => Promise.reject(new Error('redis gone')), recent: async () => [] };
    const contained = createContainedSinks({ logger: silentLogger(), attempts: 1, failureLog: brokenLog });
    expect(await contained.run([down], write, ctx)).toEqual({ neo4j: { status: 'failed', detail: 'down' } });
  });

  it('skips a sink for the cooldown after it gave up, then tries it again', async () => {
    let t = 1_000_000;
    const circuit = createSinkCircuit({ cooldownMs: 30_000, now: () => t });
    const log = memoryLog();
    let healthy = false;
    const neo = sink('neo4j', () => {
      if (!healthy) throw new Error('ECONNREFUSED');
    });
    const contained = createContainedSinks({ logger: silentLogger(), attempts: 3, sleep: async () => {}, circuit, failureLog: log });

    expect((await contained.run([neo], write, ctx)).neo4j.status).toBe('failed');
    expect(neo.calls).toBe(3);

    t += 10_000;
    const skipped = await contained.run([neo], write, { ...ctx, batchIndex: 4 });
    expect(neo.calls).toBe(3); // not called at all
    expect(skipped.neo4j).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^skipped: neo4j failed on an earlier batch .*ECONNREFUSED/) });
    expect(log.entries.map((e) => [e.batchIndex, e.attempts])).toEqual([
      [3, 3],
      [4, 0],
    ]);

    t += 25_000;
    healthy = true;
    expect(await contained.run([neo], write, { ...ctx, batchIndex: 5 })).toEqual({ neo4j: { status: 'ok' } });
    expect(neo.calls).toBe(4);
  });

  it('an endless cooldown (one resync run) keeps skipping, with a reason that says so', () => {
    const circuit = createSinkCircuit({ cooldownMs: Infinity, now: () => 1_000_000 });
    circuit.failed('neo4j', 'ECONNREFUSED');
    expect(circuit.skipReason('neo4j')).toMatch(/^skipped: neo4j failed on an earlier batch at .*\(ECONNREFUSED\); next attempt not in this run$/);
  });

  it('a zero cooldown never skips', () => {
    const circuit = createSinkCircuit({ cooldownMs: 0 });
    circuit.failed('neo4j', 'down');
    expect(circuit.skipReason('neo4j')).toBeNull();
  });
});
