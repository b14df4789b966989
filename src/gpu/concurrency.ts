import type { Config } from '../config/index.js';
import { chooseEmbedder } from '../embedding/factory.js';

/**
 * Jobs a gpu worker runs at once on its device: GPU_CONCURRENCY when set;
 * otherwise 2 in front of vLLM and 1 for an in-process model.
 *
 * Two in front of vLLM is the prefetch: while one batch is on the GPU, the
 * second job reads its staged chunks, truncates them and sends them, and vLLM
 * queues them into its next engine step, so the device does not wait on the
 * worker's per-job work (read, tokenize, write vectors, complete in Redis).
 * bench:gpu-fleet measured it: at 8 simulated GPUs and 64-chunk batches the
 * least busy GPU is 0.83 busy with 1 job per device, 0.97 with 2.
 * An in-process model (ONNX) would run two batches side by side in one
 * session instead, doubling its memory and competing for the same threads.
 */
export function gpuJobsPerDevice(config: Config): number {
  return config.gpu.concurrency ?? (chooseEmbedder(config) === 'vllm' ? 2 : 1);
}
