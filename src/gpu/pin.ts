/**
 * Pin this process to one GPU: CUDA_VISIBLE_DEVICES makes the device the
 * only one the CUDA runtime sees (so it is device 0 inside the process), and
 * GPU_DEVICE records the original index for logs, metrics and the
 * safe-batch-size key. Must run before any CUDA library initialises.
 */
export function pinGpu(device: number, env: NodeJS.ProcessEnv): void {
  env.CUDA_VISIBLE_DEVICES = String(device);
  env.GPU_DEVICE = String(device);
  env.CODEINTEL_GPU_PINNED = '1';
}

/** The device id to hand to onnxruntime's CUDA provider: 0 once pinned (the only visible device). */
export function cudaDeviceId(configuredDevice: number, env: NodeJS.ProcessEnv = process.env): number {
  return env.CODEINTEL_GPU_PINNED === '1' ? 0 : Math.max(0, configuredDevice);
}
