import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/serveProcess.js';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulatedGpuServer.js';

/**
 * scripts/gpu-smoke.sh measures real vLLM endpoints (VLLM_URLS). Here the
 * endpoints are simulated GPUs, which speak vLLM's protocol and publish its
 * /metrics gauges: that proves the script end to end without a GPU.
 */
const SCRIPT = path.join(ROOT, 'scripts/gpu-smoke.sh');

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const base = { ...process.env };
    delete base.VLLM_URLS;
    const proc = spawn('bash', [SCRIPT], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scripts/gpu-smoke.sh', () => {
  const gpus: SimulatedGpu[] = [];
  beforeAll(async () => {
    // a slow device (2 ms a step + 0.05 ms a token), so the /metrics samples see it busy
    for (let i = 0; i < 2; i++) gpus.push(await startSimulatedGpu({ model: { stepMs: 2, perTokenMs: 0.05, maxBatchTokens: 16_384, charsPerToken: 4 }, dim: 32 }));
  });
  afterAll(async () => {
    await Promise.all(gpus.map((g) => g.close()));
  });

  it('refuses to run, saying what to set, when VLLM_URLS is unset', async () => {
    const r = await run({});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/VLLM_URLS is not set/);
    expect(r.stdout).toBe('');
  });

  it('refuses an endpoint that does not answer /health', async () => {
    const r = await run({ VLLM_URLS: 'http://127.0.0.1:1/v1' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1\/health does not answer/);
  });

  it('measures the endpoints of VLLM_URLS and prints the bench JSON as its last line', { timeout: 180_000 }, async () => {
    const r = await run({ VLLM_URLS: gpus.map((g) => g.baseUrl).join(','), FLEET_CHUNKS: '600', FLEET_BATCH_SIZE: '16' });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      points: { gpus: number; busy_min: number; busy_mean: number; chunks_per_min: number; ideal_chunks_per_min: number }[];
      scaling_efficiency_8: number | null;
    };
    expect(last.points.map((p) => p.gpus)).toEqual([1, 2]);
    for (const p of last.points) {
      expect(p.busy_min).toBeGreaterThan(0);
      expect(p.busy_min).toBeLessThanOrEqual(p.busy_mean);
      expect(p.busy_mean).toBeLessThanOrEqual(1.01);
      expect(p.chunks_per_min).toBeGreaterThan(0);
      expect(p.ideal_chunks_per_min).toBeGreaterThan(0);
    }
    expect(last.scaling_efficiency_8).toBeNull();
    // both endpoints served (the 2-GPU point used the second one)
    expect(gpus.every((g) => g.engine.stats.sequences > 0)).toBe(true);
    expect(r.stderr).toMatch(/busy from their \/metrics/);
  });
});
