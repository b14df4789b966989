import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { gpuJobsPerDevice } from '../../src/gpu/concurrency.js';

describe('jobs per GPU device', () => {
  it('runs two at once in front of vLLM, so the next batch is sent while one is on the GPU', () => {
    expect(gpuJobsPerDevice(loadConfig({ VLLM_URL: 'http://127.0.0.1:8000/v1' }))).toBe(2);
  });

  it('runs one at a time for an in-process model', () => {
    expect(gpuJobsPerDevice(loadConfig({ EMBEDDER: 'hashing', VLLM_URL: 'http://127.0.0.1:8000/v1' }))).toBe(1);
  });

  it('takes GPU_CONCURRENCY when it is set', () => {
    expect(gpuJobsPerDevice(loadConfig({ VLLM_URL: 'http://127.0.0.1:8000/v1', GPU_CONCURRENCY: '1' }))).toBe(1);
  });

  it('refuses GPU_CONCURRENCY=0', () => {
    expect(() => loadConfig({ GPU_CONCURRENCY: '0' })).toThrow(/GPU_CONCURRENCY/);
  });
});
