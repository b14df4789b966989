/** Set by `pinGpu` (src/gpu/pin.ts) once CUDA_VISIBLE_DEVICES names the one device this process may use. */
export const GPU_PINNED_ENV = 'CODEINTEL_GPU_PINNED';

/** The device id to hand to onnxruntime's CUDA provider: 0 once pinned (the only visible device). */
export function cudaDeviceId(configuredDevice: number, env: NodeJS.ProcessEnv = process.env): number {
  return env[GPU_PINNED_ENV] === '1' ? 0 : Math.max(0, configuredDevice);
}

/**
 * Where in-process ONNX models run: the CUDA provider when the worker is
 * pinned to a GPU or REQUIRE_GPU=1 (which must never quietly fall back to
 * the CPU), otherwise the CPU.
 */
export function onnxDevice(gpu: { device: number; require: boolean }, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return gpu.device >= 0 || gpu.require ? cudaDeviceId(gpu.device, env) : undefined;
}
