import * as ort from 'onnxruntime-node';
import { identityModel } from './identityModel.js';

/** Load the CUDA execution provider for real: open a one-node model on the device and run it. */
export async function probeCudaProvider(deviceId: number): Promise<void> {
  const session = await ort.InferenceSession.create(identityModel(), {
    executionProviders: [{ name: 'cuda', deviceId }],
  });
  try {
    const input = new ort.Tensor('float32', new Float32Array([1]), [1]);
    await session.run({ x: input });
  } finally {
    await session.release();
  }
}
