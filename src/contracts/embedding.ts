/** The embedding contract: one source of truth written into Parquet, the manifest and staged batches. */
export interface EmbeddingContract {
  /** e.g. "hashing-lexical-v1", "Qwen/Qwen3-Embedding-8B", "onnx:<dir name>" */
  model: string;
  /** which adapter produced it: hashing | vllm | onnx */
  provider: 'hashing' | 'vllm' | 'onnx';
  dim: number;
  dtype: 'float32';
  pooling: string;
  normalize: boolean;
  /** instruction prefixed to queries (empty when the model takes none) */
  queryInstruction: string;
}
