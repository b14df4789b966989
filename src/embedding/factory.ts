import { onnxDevice } from './onnxDevice.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { withInprocessFallback } from './fallback.js';
import { createHashingEmbedder } from './hashing.js';
import { createOnnxEmbedder } from './onnx.js';
import type { Embedder } from './port.js';
import { createVllmEmbedder, type BatchObservation } from './vllm.js';

export type EmbedderChoice = 'hashing' | 'vllm' | 'onnx';

/** Which dense embedder the settings select: EMBEDDER, or by what is configured when it is "auto". */
export function chooseEmbedder(config: Config): EmbedderChoice {
  if (config.embedding.kind !== 'auto') return config.embedding.kind;
  if (config.vllm.url) return 'vllm';
  if (config.embedding.modelDir) return 'onnx';
  return 'hashing';
}

export async function createEmbedder(config: Config, logger: Logger, hooks: { onBatch?: (b: BatchObservation) => void } = {}): Promise<Embedder> {
  const choice = chooseEmbedder(config);
  const onnx = () =>
    createOnnxEmbedder({
      modelDir: config.embedding.modelDir!,
      pooling: config.embedding.pooling,
      normalize: config.embedding.normalize,
      maxTokens: 512,
      device: onnxDevice(config.gpu),
      threads: config.onnx.threads,
      allowSpinning: config.onnx.allowSpinning,
    });
  let embedder: Embedder;
  if (choice === 'hashing') {
    embedder = createHashingEmbedder({ dim: config.embedding.dim });
  } else if (choice === 'onnx') {
    embedder = await onnx();
  } else {
    const vllm = createVllmEmbedder(config.vllm, { logger, onBatch: hooks.onBatch });
    const canFallBack = config.vllm.allowInprocessFallback && !config.gpu.require && !!config.embedding.modelDir;
    if (config.vllm.allowInprocessFallback && !canFallBack) {
      logger.warn(
        { requireGpu: config.gpu.require, modelDir: config.embedding.modelDir ?? null },
        'VLLM_ALLOW_INPROCESS_FALLBACK is set but unused: it needs EMBEDDING_MODEL_DIR and is never used with REQUIRE_GPU=1',
      );
    }
    embedder = canFallBack
      ? withInprocessFallback(vllm, onnx, (err) => logger.warn({ err }, 'vLLM unavailable: embedding in process instead'))
      : vllm;
  }
  logger.info(
    {
      embedder: embedder.contract.provider,
      model: embedder.contract.model,
      dim: embedder.contract.dim || 'from first response',
      ...(choice === 'hashing' ? { note: 'deterministic lexical hashing embedder (no neural model configured)' } : {}),
    },
    'dense embedder ready',
  );
  return embedder;
}
