import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../../src/resilience/index.js';

function clock() {
  const c = { t: 1_000_000, now: () => c.t };
  return c;
}

describe('circuitBreaker', () => {
  it('stays closed below the failure threshold', () => {
    const b = circuitBreaker({ cooldownMs: 1000, failureThreshold: 3, now: clock().now });
    b.recordFailure('a');
    b.recordFailure('b');
    expect(b.state).toBe('closed');
    expect(b.refusal()).toBeNull();
  });

  it('opens after N consecutive failures and refuses with the last failure and when it half-opens', () => {
    const c = clock();
    const b = circuitBreaker({ cooldownMs: 1000, failureThreshold: 3, now: c.now });
    b.recordFailure('a');
    b.recordFailure('b');
    b.recordFailure('ECONNREFUSED');
    expect(b.state).toBe('open');
    expect(b.refusal()).toEqual({ since: 1_000_000, until: 1_001_000, lastFailure: 'ECONNREFUSED' });
  });

  it('counts only consecutive failures: a success in between starts the count again', () => {
    const b = circuitBreaker({ cooldownMs: 1000, failureThreshold: 2, now: clock().now });
    b.recordFailure('a');
    b.recordSuccess();
    b.recordFailure('b');
    expect(b.state).toBe('closed');
  });

  it('half-opens after the cooldown and lets calls go ahead', () => {
    const c = clock();
    const b = circuitBreaker({ cooldownMs: 1000, now: c.now });
    b.recordFailure('down');
    c.t += 999;
    expect(b.state).toBe('open');
    c.t += 1;
    expect(b.state).toBe('half-open');
    expect(b.refusal()).toBeNull();
  });

  it('re-opens at once when the half-open call fails, even above a threshold of one', () => {
    const c = clock();
    const b = circuitBreaker({ cooldownMs: 1000, failureThreshold: 3, now: c.now });
    for (let i = 0; i < 3; i++) b.recordFailure('down');
    c.t += 1000;
    b.recordFailure('still down');
    expect(b.state).toBe('open');
    expect(b.refusal()).toEqual({ since: 1_001_000, until: 1_002_000, lastFailure: 'still down' });
  });

  it('closes when the half-open call succeeds', () => {
    const c = clock();
    const b = circuitBreaker({ cooldownMs: 1000, failureThreshold: 2, now: c.now });
    b.recordFailure('down');
    b.recordFailure('down');
    c.t += 1000;
    b.recordSuccess();
    expect(b.state).toBe('closed');
    b.recordFailure('one more');
    expect(b.state).toBe('closed'); // the count started again
  });

  it('never opens with a zero cooldown', () => {
    const b = circuitBreaker({ cooldownMs: 0, now: clock().now });
    b.recordFailure('down');
    expect(b.state).toBe('closed');
  });

  it('stays open for good with an infinite cooldown', () => {
    const c = clock();
    const b = circuitBreaker({ cooldownMs: Infinity, now: c.now });
    b.recordFailure('down');
    c.t += 1e12;
    expect(b.state).toBe('open');
  });

  it('rejects a threshold that is not an integer >= 1', () => {
    expect(() => circuitBreaker({ cooldownMs: 1000, failureThreshold: 0 })).toThrow(RangeError);
  });
});
