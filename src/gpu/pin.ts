import { GPU_PINNED_ENV } from '../embedding/onnxDevice.js';

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
  env[GPU_PINNED_ENV] = '1';
}
