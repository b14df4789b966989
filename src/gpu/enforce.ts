import { execFile } from 'node:child_process';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { cudaDeviceId } from './pin.js';
import { resolveHealthUrl } from '../embedding/vllmUrls.js';

export const GPU_EXIT_CODE = 99;

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** The three checks REQUIRE_GPU=1 makes before a GPU worker may start (seed 003 §2). Injectable for tests. */
export interface GpuProbes {
  nvidiaSmi(): Promise<ProbeResult>;
  cudaProvider(deviceId: number): Promise<ProbeResult>;
  vllmHealth(url: string): Promise<ProbeResult>;
}

export const systemProbes: GpuProbes = {
  nvidiaSmi: () =>
    new Promise((resolve) => {
      execFile('nvidia-smi', ['--query-gpu=index,name,memory.total', '--format=csv,noheader'], { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err) {
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'nvidia-smi is not installed or not on PATH' : (stderr || err.message).trim();
          return resolve({ ok: false, detail: why });
        }
        const gpus = stdout.trim().split('\n').filter(Boolean);
        resolve(gpus.length ? { ok: true, detail: gpus.join('; ') } : { ok: false, detail: 'nvidia-smi lists no GPU' });
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
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      return res.status === 200 ? { ok: true, detail: `${url} answered 200` } : { ok: false, detail: `${url} answered ${res.status}` };
    } catch (err) {
      return { ok: false, detail: `${url} did not answer: ${(err as Error).cause ?? (err as Error).message}` };
    }
  },
};

export interface GpuCheckReport {
  ok: boolean;
  checks: { name: 'nvidia-smi' | 'cuda-provider' | 'vllm-health'; ok: boolean; detail: string }[];
}

/** Run every check (not stopping at the first failure, so the diagnosis names them all). */
export async function checkGpu(config: Config, probes: GpuProbes = systemProbes): Promise<GpuCheckReport> {
  const checks: GpuCheckReport['checks'] = [];
  checks.push({ name: 'nvidia-smi', ...(await probes.nvidiaSmi()) });
  checks.push({ name: 'cuda-provider', ...(await probes.cudaProvider(cudaDeviceId(config.gpu.device))) });
  if (config.vllm.url) checks.push({ name: 'vllm-health', ...(await probes.vllmHealth(resolveHealthUrl(config.vllm.url, config.vllm.healthPath))) });
  else checks.push({ name: 'vllm-health', ok: false, detail: 'VLLM_URL is not set; REQUIRE_GPU=1 needs the vLLM embedding server' });
  return { ok: checks.every((c) => c.ok), checks };
}

export function formatDiagnosis(report: GpuCheckReport): string {
  const lines = ['REQUIRE_GPU=1 but this machine cannot run the GPU stage:'];
  for (const c of report.checks) lines.push(`  [${c.ok ? 'ok' : 'FAILED'}] ${c.name}: ${c.detail}`);
  lines.push('See docs/runbook.md ("GPU not visible", "vLLM down").');
  return lines.join('\n');
}

/** With REQUIRE_GPU=1, exit with code 99 and a diagnosis unless every check passes. */
export async function requireGpuOrExit(
  config: Config,
  logger: Logger,
  probes: GpuProbes = systemProbes,
  exit: (code: number) => never = (code) => process.exit(code),
): Promise<void> {
  if (!config.gpu.require) return;
  const report = await checkGpu(config, probes);
  if (report.ok) {
    logger.info({ checks: report.checks }, 'GPU checks passed');
    return;
  }
  process.stderr.write(`${formatDiagnosis(report)}\n`);
  logger.fatal({ checks: report.checks }, 'GPU checks failed; exiting with code 99');
  logger.flush?.();
  exit(GPU_EXIT_CODE);
}
