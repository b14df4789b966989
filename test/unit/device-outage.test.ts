import { describe, expect, it } from 'vitest';
import { createDeviceOutage } from '../../src/gpu/deviceOutage.js';
import { silentLogger } from '../../src/observability/logger.js';

/** A gpu worker whose device is out pauses, probes the device's health, and resumes when it answers. */
describe('device outage', () => {
  function setup(healthAnswers: boolean[]) {
    const calls: string[] = [];
    let probes = 0;
    const outage = createDeviceOutage({
      pause: async () => void calls.push('pause'),
      resume: async () => void calls.push('resume'),
      healthy: async () => healthAnswers[probes++] ?? true,
      probeMs: 5,
      logger: silentLogger(),
      device: 3,
    });
    return { outage, calls, probes: () => probes };
  }

  it('a report pauses the worker once, however many of its jobs report it', async () => {
    const { outage, calls } = setup([false, false, false, false]);
    await outage.report('connection refused');
    await outage.report('connection refused');
    expect(outage.out).toBe(true);
    expect(calls).toEqual(['pause']);
    outage.close();
  });

  it('the worker resumes only once the health check answers', async () => {
    const { outage, calls, probes } = setup([false, false, true]);
    await outage.report('connection refused');
    await expect.poll(() => calls).toEqual(['pause', 'resume']);
    expect(probes()).toBe(3);
    expect(outage.out).toBe(false);
  });

  it('a closed outage stops probing and never resumes', async () => {
    const { outage, calls, probes } = setup([false, false, false, false, false, false]);
    await outage.report('connection refused');
    outage.close();
    const seen = probes();
    await new Promise((r) => setTimeout(r, 30));
    expect(probes()).toBeLessThanOrEqual(seen + 1);
    expect(calls).toEqual(['pause']);
  });
});
