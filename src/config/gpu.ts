import { z } from 'zod';
import { bool, int } from './parsers.js';

/** The GPU roles: whether a GPU is required, which device (-1 = none chosen), and jobs per device. */
export const gpuSection = z
  .object({
    REQUIRE_GPU: bool(false),
    GPU_DEVICE: int(-1, -1, 64),
    GPU_CONCURRENCY: int(1, 1, 64),
  })
  .transform((e) => ({ gpu: { require: e.REQUIRE_GPU, device: e.GPU_DEVICE, concurrency: e.GPU_CONCURRENCY } }));
