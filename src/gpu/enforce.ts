import { execFile } from 'node:child_process';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { withTimeout } from '../resilience/index.js';
import { cudaDeviceId } from '../embedding/onnxDevice.js';
import { resolveHealthUrl } from '../embedding/vllmUrls.js';

export const GPU_EXIT_CODE = 99;

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** What nvidia-smi lists: one entry per GPU, with the index nvidia-smi (PCI bus order) gives it. */
export interface GpuListing extends ProbeResult {
  gpus: { index: number; name: string; memory: string }[];
}

/** The three checks REQUIRE_GPU=1 makes before a GPU worker may start (seed 003 §2). Injectable for tests. */
export interface GpuProbes {
  nvidiaSmi(): Promise<GpuListing>;
  cudaProvider(deviceId: number): Promise<ProbeResult>;
  vllmHealth(url: string): Promise<ProbeResult>;
}

/** Parse `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader`. */
export function parseNvidiaSmi(stdout: string): GpuListing['gpus'] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [index, name = '', memory = ''] = line.split(',').map((s) => s.trim());
      return { index: Number(index), name, memory };
    })
    .filter((g) => Number.isInteger(g.index));
}

export const systemProbes: GpuProbes = {
  nvidiaSmi: () =>
    new Promise((resolve) => {
      execFile('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader'], { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err) {
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'nvidia-smi is not installed or not on PATH' : (stderr || err.message).trim();
          return resolve({ ok: false, detail: why, gpus: [] });
        }
        const gpus = parseNvidiaSmi(stdout);
        resolve(
          gpus.length
            ? { ok: true, detail: gpus.map((g) => `GPU ${g.index}: ${g.name} (${g.memory})`).join('; '), gpus }
            : { ok: false, detail: 'nvidia-smi lists no GPU', gpus },
        );
      });
    }),
  cudaProvider: async (deviceId) => {
    try {
      const { probeCudaProvider } = await import('./cudaProbe.js');
      await probeCudaProvider(deviceId);
      return { ok: true, detail: `onnxruntime CUDA execution provider loaded on device ${deviceId}` };
    } catch (err) {
      return { ok: false, detail: `onnxruntime CUDA execution provider did not load: ${(err as Error).message}` };
    }
  },
  vllmHealth: async (url) => {
    try {
      const res = await withTimeout(async (signal) => {
        const r = await fetch(url, { signal });
        await r.arrayBuffer().catch(() => undefined);
        return r;
      }, 5_000);
      return res.status === 200 ? { ok: true, detail: `${url} answered 200` } : { ok: false, detail: `${url} answered ${res.status}` };
    } catch (err) {
      return { ok: false, detail: `${url} did not answer: ${(err as Error).cause ?? (err as Error).message}` };
    }
  },
};

export type GpuCheckName = 'nvidia-smi' | 'cuda-provider' | 'vllm-health';

export interface GpuCheckReport {
  ok: boolean;
  /** the GPU this worker is pinned to (GPU_DEVICE / --gpu), -1 when not pinned */
  device: number;
  /** GPUs visible to this worker: the pinned one if nvidia-smi lists it, else every listed GPU */
  visibleGpus: number;
  checks: { name: GpuCheckName; ok: boolean; detail: string }[];
}

/** nvidia-smi's verdict for this worker: with a pinned device, that device must be among the listed ones. */
export function judgeListing(listing: GpuListing, device: number): { ok: boolean; detail: string; visible: number } {
  if (!listing.ok) return { ok: false, detail: listing.detail, visible: 0 };
  if (device < 0) return { ok: true, detail: listing.detail, visible: listing.gpus.length };
  const found = listing.gpus.some((g) => g.index === device);
  return found
    ? { ok: true, detail: listing.detail, visible: 1 }
    : {
        ok: false,
        detail: `GPU ${device} (--gpu / GPU_DEVICE) is not among the GPUs nvidia-smi lists: ${listing.gpus.map((g) => g.index).join(', ')}`,
        visible: 0,
      };
}

/** Run every check (not stopping at the first failure, so the diagnosis names them all). */
export async function checkGpu(config: Config, probes: GpuProbes = systemProbes, env: NodeJS.ProcessEnv = process.env): Promise<GpuCheckReport> {
  const device = config.gpu.device;
  const checks: GpuCheckReport['checks'] = [];
  const smi = judgeListing(await probes.nvidiaSmi(), device);
  checks.push({ name: 'nvidia-smi', ok: smi.ok, detail: smi.detail });
  checks.push({ name: 'cuda-provider', ...(await probes.cudaProvider(cudaDeviceId(device, env))) });
  if (config.vllm.url) checks.push({ name: 'vllm-health', ...(await probes.vllmHealth(resolveHealthUrl(config.vllm.url, config.vllm.healthPath))) });
  else checks.push({ name: 'vllm-health', ok: false, detail: 'VLLM_URL is not set; REQUIRE_GPU=1 needs the vLLM embedding server' });
  return { ok: checks.every((c) => c.ok), device, visibleGpus: smi.visible, checks };
}

const REMEDY: Record<GpuCheckName, string> = {
  'nvidia-smi': 'install the NVIDIA driver (and the NVIDIA Container Toolkit with --gpus in containers) so that nvidia-smi lists the GPU',
  'cuda-provider': 'install onnxruntime-node with CUDA (npm install --onnxruntime-node-install=cuda12) and a matching CUDA 12 / cuDNN 9 runtime',
  'vllm-health': 'start the vLLM embedding server (vllm serve <model> --task embed) and point VLLM_URL at it',
};

export function formatDiagnosis(report: GpuCheckReport, env: NodeJS.ProcessEnv = process.env): string {
  const where = report.device >= 0 ? ` (GPU ${report.device}, CUDA_VISIBLE_DEVICES=${env.CUDA_VISIBLE_DEVICES ?? 'unset'})` : '';
  const lines = [`REQUIRE_GPU=1 but this worker cannot run the GPU stage${where}; exiting with code ${GPU_EXIT_CODE}:`];
  for (const c of report.checks) {
    lines.push(`  [${c.ok ? 'ok' : 'FAILED'}] ${c.name}: ${c.detail}`);
    if (!c.ok) lines.push(`           fix: ${REMEDY[c.name]}`);
  }
  lines.push('See docs/runbook.md ("GPU not visible", "vLLM down").');
  return lines.join('\n');
}

export interface RequireGpuIo {
  probes?: GpuProbes;
  exit?: (code: number) => never;
  /** where the diagnosis goes (stderr) */
  write?: (text: string) => void;
  /** the process environment (pinning: CODEINTEL_GPU_PINNED, CUDA_VISIBLE_DEVICES) */
  env?: NodeJS.ProcessEnv;
}

/**
 * With REQUIRE_GPU=1, exit with code 99 and a diagnosis naming each failed
 * check unless every check passes. Returns the report when the checks ran
 * (so the caller can export gpu_visible), null when REQUIRE_GPU is off.
 */
export async function requireGpuOrExit(config: Config, logger: Logger, io: RequireGpuIo = {}): Promise<GpuCheckReport | null> {
  if (!config.gpu.require) return null;
  const report = await checkGpu(config, io.probes ?? systemProbes, io.env ?? process.env);
  if (report.ok) {
    logger.info({ checks: report.checks }, 'GPU checks passed');
    return report;
  }
  (io.write ?? ((t) => process.stderr.write(t)))(`${formatDiagnosis(report, io.env)}\n`);
  logger.fatal({ checks: report.checks }, `GPU checks failed; exiting with code ${GPU_EXIT_CODE}`);
  logger.flush?.();
  return (io.exit ?? ((code) => process.exit(code)))(GPU_EXIT_CODE);
}

/** GPUs this worker sees right now (for the gpu_visible gauge): nvidia-smi only, cheap enough to run per scrape. */
export async function countVisibleGpus(device: number, probes: Pick<GpuProbes, 'nvidiaSmi'> = systemProbes): Promise<number> {
  return judgeListing(await probes.nvidiaSmi(), device).visible;
}
