/**
 * Pin this process to one GPU: CUDA_VISIBLE_DEVICES makes the device the
 * only one the CUDA runtime sees (so it is device 0 inside the process), and
 * GPU_DEVICE records the original index for logs, metrics and the
 * safe-batch-size key. CUDA numbers devices fastest-first unless told
 * otherwise, nvidia-smi by PCI bus: PCI_BUS_ID order makes `--gpu N` the
 * device nvidia-smi calls N. Must run before any CUDA library initialises.
 */
export function pinGpu(device: number, env: NodeJS.ProcessEnv): void {
  env.CUDA_DEVICE_ORDER ??= 'PCI_BUS_ID';
  env.CUDA_VISIBLE_DEVICES = String(device);
  env.GPU_DEVICE = String(device);
  env.CODEINTEL_GPU_PINNED = '1';
}

/** The device id to hand to onnxruntime's CUDA provider: 0 once pinned (the only visible device). */
export function cudaDeviceId(configuredDevice: number, env: NodeJS.ProcessEnv = process.env): number {
  return env.CODEINTEL_GPU_PINNED === '1' ? 0 : Math.max(0, configuredDevice);
}

/**
 * Where in-process ONNX models run: the CUDA provider when the worker is
 * pinned to a GPU or REQUIRE_GPU=1 (which must never quietly fall back to
 * the CPU), otherwise the CPU.
 */
export function onnxDevice(gpu: { device: number; require: boolean }, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return gpu.device >= 0 || gpu.require ? cudaDeviceId(gpu.device, env) : undefined;
}
