import { z } from 'zod';
import { bool, int } from './parsers.js';

/**
 * The GPU roles: whether a GPU is required, which device (-1 = none chosen), and jobs per device
 * (unset: chosen by the embedder, see src/gpu/concurrency.ts).
 */
export const gpuSection = z
  .object({
    REQUIRE_GPU: bool(false),
    GPU_DEVICE: int(-1, -1, 64),
    // 0 only stands for "unset": a value given must be 1..64
    GPU_CONCURRENCY: int(0, 1, 64),
    GPU_OUTAGE_PROBE_MS: int(1_000, 50, 600_000),
  })
  .transform((e) => ({
    gpu: { require: e.REQUIRE_GPU, device: e.GPU_DEVICE, concurrency: e.GPU_CONCURRENCY === 0 ? undefined : e.GPU_CONCURRENCY,
      /** how often a gpu worker whose device is out probes its health before taking jobs again */
      outageProbeMs: e.GPU_OUTAGE_PROBE_MS,
    },
  }));
