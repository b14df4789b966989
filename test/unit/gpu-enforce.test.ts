import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import {
  checkGpu,
  countVisibleGpus,
  GPU_EXIT_CODE,
  parseNvidiaSmi,
  requireGpuOrExit,
  type GpuListing,
  type GpuProbes,
  type ProbeResult,
} from '../../src/gpu/enforce.js';
import { cudaDeviceId, onnxDevice } from '../../src/embedding/onnxDevice.js';
import { pinGpu } from '../../src/gpu/pin.js';
import { silentLogger } from '../../src/observability/logger.js';

const oneGpu: GpuListing = { ok: true, detail: 'GPU 0: NVIDIA L4 (23034 MiB)', gpus: [{ index: 0, name: 'NVIDIA L4', memory: '23034 MiB' }] };
const ok = (detail: string): ProbeResult => ({ ok: true, detail });
const failed = (detail: string): ProbeResult => ({ ok: false, detail });

/** Probes that pass unless overridden, recording what they were asked. */
function probes(overrides: Partial<GpuProbes> = {}) {
  const asked: { cudaDevice?: number; vllmUrl?: string } = {};
  const p: GpuProbes = {
    nvidiaSmi: async () => oneGpu,
    cudaProvider: async (device) => {
      asked.cudaDevice = device;
      return ok(`CUDA provider on ${device}`);
    },
    vllmHealth: async (url) => {
      asked.vllmUrl = url;
      return ok(`${url} answered 200`);
    },
    ...overrides,
  };
  return { probes: p, asked };
}

const config = (env: Record<string, string> = {}) => loadConfig({ REQUIRE_GPU: '1', VLLM_URL: 'http://vllm:8000/v1', ...env });

/** Run requireGpuOrExit and capture what it exits with and writes, instead of ending the test process. */
async function run(env: Record<string, string>, p: GpuProbes, processEnv: NodeJS.ProcessEnv = {}) {
  let code: number | undefined;
  let stderr = '';
  const report = await requireGpuOrExit(config(env), silentLogger(), {
    probes: p,
    env: processEnv,
    write: (t) => (stderr += t),
    exit: ((c: number) => {
      code = c;
      return undefined as never;
    }) as (c: number) => never,
  });
  return { code, stderr, report };
}

describe('REQUIRE_GPU=1 start-up checks (injected probes)', () => {
  it('lets the worker start when nvidia-smi lists a GPU, the CUDA provider loads and vLLM /health answers 200', async () => {
    const { probes: p, asked } = probes();
    const { code, stderr, report } = await run({}, p);
    expect(code).toBeUndefined();
    expect(stderr).toBe('');
    expect(report).toMatchObject({ ok: true, visibleGpus: 1 });
    expect(asked).toEqual({ cudaDevice: 0, vllmUrl: 'http://vllm:8000/health' });
  });

  it('exits 99 naming nvidia-smi when it is not installed', async () => {
    const { code, stderr } = await run({}, probes({ nvidiaSmi: async () => ({ ok: false, detail: 'nvidia-smi is not installed or not on PATH', gpus: [] }) }).probes);
    expect(code).toBe(GPU_EXIT_CODE);
    expect(stderr).toContain('[FAILED] nvidia-smi: nvidia-smi is not installed or not on PATH');
    expect(stderr).toMatch(/fix: install the NVIDIA driver/);
    expect(stderr).toContain('[ok] cuda-provider');
    expect(stderr).toContain('[ok] vllm-health');
  });

  it('exits 99 when nvidia-smi runs but lists no GPU', async () => {
    const { code, stderr } = await run({}, probes({ nvidiaSmi: async () => ({ ok: false, detail: 'nvidia-smi lists no GPU', gpus: [] }) }).probes);
    expect(code).toBe(99);
    expect(stderr).toContain('[FAILED] nvidia-smi: nvidia-smi lists no GPU');
  });

  it('exits 99 when the pinned GPU is not one nvidia-smi lists', async () => {
    const { code, stderr } = await run({ GPU_DEVICE: '3' }, probes().probes, { CUDA_VISIBLE_DEVICES: '3' });
    expect(code).toBe(99);
    expect(stderr).toContain('(GPU 3, CUDA_VISIBLE_DEVICES=3)');
    expect(stderr).toContain('[FAILED] nvidia-smi: GPU 3 (--gpu / GPU_DEVICE) is not among the GPUs nvidia-smi lists: 0');
  });

  it('exits 99 naming the CUDA provider when onnxruntime cannot load it', async () => {
    const p = probes({ cudaProvider: async () => failed('onnxruntime CUDA execution provider did not load: Failed to load shared library') }).probes;
    const { code, stderr } = await run({}, p);
    expect(code).toBe(99);
    expect(stderr).toContain('[FAILED] cuda-provider: onnxruntime CUDA execution provider did not load: Failed to load shared library');
    expect(stderr).toContain('--onnxruntime-node-install=cuda12');
    expect(stderr).toContain('[ok] nvidia-smi');
  });

  it('exits 99 naming the vLLM health URL when it does not answer 200', async () => {
    const p = probes({ vllmHealth: async (url) => failed(`${url} answered 503`) }).probes;
    const { code, stderr } = await run({ VLLM_HEALTH_PATH: '/health' }, p);
    expect(code).toBe(99);
    expect(stderr).toContain('[FAILED] vllm-health: http://vllm:8000/health answered 503');
  });

  it('exits 99 when no VLLM_URL is configured at all', async () => {
    const { code, stderr } = await run({ VLLM_URL: '' }, probes().probes);
    expect(code).toBe(99);
    expect(stderr).toContain('[FAILED] vllm-health: VLLM_URL is not set');
  });

  it('names every failed check, not just the first', async () => {
    const p = probes({
      nvidiaSmi: async () => ({ ok: false, detail: 'nvidia-smi is not installed or not on PATH', gpus: [] }),
      cudaProvider: async () => failed('no CUDA'),
      vllmHealth: async () => failed('connection refused'),
    }).probes;
    const { code, stderr } = await run({}, p);
    expect(code).toBe(99);
    expect(stderr.match(/\[FAILED\]/g)).toHaveLength(3);
    expect(stderr).toContain('docs/runbook.md');
  });

  it('does nothing, and runs no probe, without REQUIRE_GPU', async () => {
    const nvidiaSmi = vi.fn(async () => oneGpu);
    const report = await requireGpuOrExit(loadConfig({}), silentLogger(), { probes: { ...probes().probes, nvidiaSmi }, exit: (() => { throw new Error('must not exit'); }) as never });
    expect(report).toBeNull();
    expect(nvidiaSmi).not.toHaveBeenCalled();
  });

  it('asks the CUDA provider for device 0 once the process is pinned (the pinned GPU is the only one CUDA sees)', async () => {
    const { probes: p, asked } = probes({ nvidiaSmi: async () => ({ ...oneGpu, gpus: [{ index: 0, name: 'a', memory: '' }, { index: 2, name: 'b', memory: '' }] }) });
    const env: NodeJS.ProcessEnv = {};
    pinGpu(2, env);
    const report = await checkGpu(loadConfig({ REQUIRE_GPU: '1', VLLM_URL: 'http://v:8000/v1', ...env }), p, env);
    expect(report.ok).toBe(true);
    expect(asked.cudaDevice).toBe(0);
  });
});

describe('pinning a worker to one GPU', () => {
  it('sets CUDA_VISIBLE_DEVICES, GPU_DEVICE and PCI bus order so that N means what nvidia-smi calls N', () => {
    const env: NodeJS.ProcessEnv = {};
    pinGpu(1, env);
    expect(env).toMatchObject({ CUDA_VISIBLE_DEVICES: '1', GPU_DEVICE: '1', CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CODEINTEL_GPU_PINNED: '1' });
    expect(loadConfig(env).gpu.device).toBe(1);
    expect(cudaDeviceId(1, env)).toBe(0);
    expect(cudaDeviceId(1, {})).toBe(1);
  });

  it('runs in-process ONNX models on CUDA when pinned or when REQUIRE_GPU=1, never silently on the CPU', () => {
    expect(onnxDevice({ device: -1, require: false }, {})).toBeUndefined();
    expect(onnxDevice({ device: -1, require: true }, {})).toBe(0);
    expect(onnxDevice({ device: 2, require: false }, {})).toBe(2);
    expect(onnxDevice({ device: 2, require: false }, { CODEINTEL_GPU_PINNED: '1' })).toBe(0);
  });

  it('counts the GPUs a worker sees for the gpu_visible gauge', async () => {
    const two: GpuListing = { ok: true, detail: '', gpus: [{ index: 0, name: 'a', memory: '' }, { index: 1, name: 'b', memory: '' }] };
    expect(await countVisibleGpus(-1, { nvidiaSmi: async () => two })).toBe(2);
    expect(await countVisibleGpus(1, { nvidiaSmi: async () => two })).toBe(1);
    expect(await countVisibleGpus(5, { nvidiaSmi: async () => two })).toBe(0);
    expect(await countVisibleGpus(-1, { nvidiaSmi: async () => ({ ok: false, detail: 'x', gpus: [] }) })).toBe(0);
  });

  it('parses nvidia-smi CSV output', () => {
    expect(parseNvidiaSmi('0, NVIDIA A100-SXM4-80GB, 81920 MiB\n1, NVIDIA A100-SXM4-80GB, 81920 MiB\n')).toEqual([
      { index: 0, name: 'NVIDIA A100-SXM4-80GB', memory: '81920 MiB' },
      { index: 1, name: 'NVIDIA A100-SXM4-80GB', memory: '81920 MiB' },
    ]);
  });
});
