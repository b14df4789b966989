import { afterEach, describe, expect, it } from 'vitest';
import { idealChunksPerMinute, QWEN3_EMBEDDING_8B_H100, SimulatedEngine, type GpuServiceModel } from '../support/simulatedGpuEngine.js';
import { startSimulatedGpu, type SimulatedGpu } from '../support/simulatedGpuServer.js';
import { createVllmEmbedder } from '../../src/embedding/vllm.js';
import { loadConfig } from '../../src/config/index.js';

const model: GpuServiceModel = { stepMs: 20, perTokenMs: 1, maxBatchTokens: 100, charsPerToken: 4 };

describe('the simulated GPU engine', () => {
  it('packs the requests that arrived during a step into the next step, up to the token budget', async () => {
    const engine = new SimulatedEngine(model);
    await Promise.all([engine.submit([10]), engine.submit([40, 40]), engine.submit([20])]);
    expect(engine.stats.steps).toBe(2);
    expect(engine.stats.busyMs).toBe(20 + 10 + (20 + 100));
  });

  it('runs what does not fit the budget in a further step', async () => {
    const engine = new SimulatedEngine(model);
    await engine.submit([60, 60, 60]);
    expect(engine.stats.steps).toBe(3);
    expect(engine.stats.busyMs).toBe(3 * 20 + 180);
  });

  it('counts no busy time while it has no work', async () => {
    const engine = new SimulatedEngine(model);
    await engine.submit([10]);
    await new Promise((r) => setTimeout(r, 100));
    await engine.submit([10]);
    expect(engine.stats.busyMs).toBe(2 * (20 + 10));
    expect(engine.stats.lastStepEndAt! - engine.stats.firstArrivalAt!).toBeGreaterThan(150);
  });

  it('answers a request no sooner than its modelled service time', async () => {
    const engine = new SimulatedEngine(model);
    const t0 = performance.now();
    await engine.submit([80]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(99);
  });

  it('stretches every step while slowed down', async () => {
    const engine = new SimulatedEngine(model);
    engine.slowdown = 3;
    await engine.submit([10]);
    expect(engine.stats.busyMs).toBe(90);
  });

  it('refuses a model with a non-positive token budget', () => {
    expect(() => new SimulatedEngine({ ...model, maxBatchTokens: 0 })).toThrow(/invalid GPU service model/);
  });

  it('defaults to at least the seeds’ 1,000 chunks/min per GPU for 400-token chunks', () => {
    expect(idealChunksPerMinute(QWEN3_EMBEDDING_8B_H100, 400)).toBeGreaterThan(1_000);
  });
});

describe('the simulated GPU server', () => {
  let gpu: SimulatedGpu | undefined;
  afterEach(async () => gpu?.close());

  it('serves vectors of the configured dim to the real vLLM client and records the work', async () => {
    gpu = await startSimulatedGpu({ model: { ...model, stepMs: 1, perTokenMs: 0.01 }, dim: 16 });
    const embedder = createVllmEmbedder(loadConfig({ VLLM_URL: gpu.baseUrl }).vllm);
    const rows = await embedder.embedDocuments(['def a(): pass', 'def b(): return 1']);
    await embedder.close?.();
    expect(rows.map((r) => r.length)).toEqual([16, 16]);
    expect(gpu.engine.stats).toMatchObject({ requests: 1, sequences: 2 });
  });

  it('answers CUDA out of memory above the configured batch size', async () => {
    gpu = await startSimulatedGpu({ model, dim: 4, oomAboveBatch: 1 });
    const res = await fetch(`${gpu.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'Qwen/Qwen3-Embedding-8B', input: ['a', 'b'] }),
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/CUDA out of memory/);
  });

  it('rejects an input that is not a list of strings with 400', async () => {
    gpu = await startSimulatedGpu({ model, dim: 4 });
    const res = await fetch(`${gpu.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'Qwen/Qwen3-Embedding-8B', input: [1] }),
    });
    expect(res.status).toBe(400);
  });
});
