import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createOnnxEmbedder } from '../../src/embedding/onnx.js';
import { sessionOptions } from '../../src/embedding/onnxSession.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { writeTinyEmbeddingModel } from '../support/onnxModels.js';

describe('onnxruntime session options for in-process models', () => {
  it('never spin-waits by default (workers share their CPUs), with onnxruntime choosing the thread count', () => {
    expect(sessionOptions({})).toEqual({ graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } });
  });

  it('takes ONNX_THREADS and ONNX_ALLOW_SPINNING from the settings', () => {
    const config = loadConfig({ ONNX_THREADS: '1', ONNX_ALLOW_SPINNING: 'true' });
    expect(config.onnx).toEqual({ threads: 1, allowSpinning: true });
    expect(sessionOptions(config.onnx)).toMatchObject({ intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '1' } } } });
    expect(loadConfig({}).onnx).toEqual({ threads: 0, allowSpinning: false });
  });

  it('puts a pinned device on the CUDA execution provider', () => {
    expect(sessionOptions({ device: 0 }).executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(sessionOptions({ device: undefined }).executionProviders).toBeUndefined();
  });

  describe('with a real onnxruntime session', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await makeTmpDir('codeintel-ort-opts-');
      await writeTinyEmbeddingModel(path.join(dir, 'm'), { hidden: 4 });
    });
    afterAll(() => removeDir(dir));

    it('opens and runs with one thread and spinning off', async () => {
      const e = await createOnnxEmbedder({ modelDir: path.join(dir, 'm'), pooling: 'mean', normalize: true, maxTokens: 32, threads: 1, allowSpinning: false });
      try {
        expect((await e.embedDocuments(['def get_user(id)']))[0]).toHaveLength(4);
      } finally {
        await e.close();
      }
    });
  });
});
