import { describe, expect, it } from 'vitest';
import { evaluateReadiness, type ReadinessProbe } from '../../src/observability/readiness.js';

const never = () => new Promise<never>(() => {});
const optional = (run: ReadinessProbe): ReadinessProbe => Object.assign(run, { required: false });

describe('readiness modes', () => {
  it('is ready when every check passes', async () => {
    const r = await evaluateReadiness({ a: async () => ({ ok: true, required: true }), b: async () => ({ ok: true, required: false }) });
    expect(r.mode).toBe('ready');
    expect(r.problem).toBeUndefined();
  });

  it('is degraded when only an optional check fails, and names it', async () => {
    const r = await evaluateReadiness({ redis: async () => ({ ok: true, required: true }), 'sink:neo4j': async () => ({ ok: false, required: false, detail: 'refused' }) });
    expect(r.mode).toBe('degraded');
    expect(r.problem?.detail).toBe('sink:neo4j: refused');
  });

  it('is down when a required check fails or throws', async () => {
    const r = await evaluateReadiness({ redis: async () => { throw new Error('ECONNREFUSED'); } });
    expect(r.mode).toBe('down');
    expect(r.checks.redis).toEqual({ ok: false, required: true, detail: 'ECONNREFUSED' });
  });

  it('a check that never answers fails after the timeout, as required as it declared itself', async () => {
    const down = await evaluateReadiness({ redis: never }, 20);
    expect(down.mode).toBe('down');
    expect(down.checks.redis.detail).toBe('check timed out after 20 ms');
    const degraded = await evaluateReadiness({ redis: async () => ({ ok: true, required: true }), opensearch: optional(never) }, 20);
    expect(degraded.mode).toBe('degraded');
    expect(degraded.checks.opensearch).toEqual({ ok: false, required: false, detail: 'check timed out after 20 ms' });
  });
});
