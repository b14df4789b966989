import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/** VLLM_ENDPOINTS: one shared vLLM endpoint for every GPU worker, or one per GPU picked by the worker's device. */
describe('vLLM endpoints: shared or one per GPU', () => {
  const urls = 'http://gpu0:8000/v1,http://gpu1:8000/v1/,http://gpu2:8000/v1';
  const problem = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('shared (the default): every worker, whatever its device, uses VLLM_URL', () => {
    for (const device of ['-1', '0', '5']) {
      const c = loadConfig({ VLLM_URL: 'http://vllm:8000/v1', GPU_DEVICE: device });
      expect(c.vllm).toMatchObject({ endpoints: 'shared', url: 'http://vllm:8000/v1' });
    }
  });

  it('per-gpu: the worker pinned to GPU N uses the N-th of VLLM_URLS', () => {
    const at = (device: string) => loadConfig({ VLLM_ENDPOINTS: 'per-gpu', VLLM_URLS: urls, GPU_DEVICE: device }).vllm.url;
    expect([at('0'), at('1'), at('2')]).toEqual(['http://gpu0:8000/v1', 'http://gpu1:8000/v1', 'http://gpu2:8000/v1']);
  });

  it('per-gpu: a process pinned to no GPU (the API embedding queries) uses the first endpoint', () => {
    expect(loadConfig({ VLLM_ENDPOINTS: 'per-gpu', VLLM_URLS: urls }).vllm.url).toBe('http://gpu0:8000/v1');
  });

  it('per-gpu: a device without an endpoint is a startup error naming VLLM_URLS', () => {
    expect(problem({ VLLM_ENDPOINTS: 'per-gpu', VLLM_URLS: urls, GPU_DEVICE: '3' })).toMatch(/VLLM_URLS.*GPU 3/s);
  });

  it('per-gpu without VLLM_URLS is a startup error', () => {
    expect(problem({ VLLM_ENDPOINTS: 'per-gpu', VLLM_URL: 'http://vllm:8000/v1' })).toMatch(/VLLM_URLS.*one endpoint per GPU/s);
  });

  it('shared with several VLLM_URLS and no VLLM_URL is a startup error, not a silent choice', () => {
    expect(problem({ VLLM_URLS: urls })).toMatch(/VLLM_URLS.*VLLM_ENDPOINTS=shared/s);
  });

  it('a VLLM_URLS entry that is not an http(s) URL is a startup error', () => {
    expect(problem({ VLLM_ENDPOINTS: 'per-gpu', VLLM_URLS: 'http://gpu0:8000/v1,gpu1:8000' })).toMatch(/VLLM_URLS/);
  });
});
