import type { EmbeddingContract } from '../../src/contracts/embedding.js';

/** An embedding contract for tests that need one but do not care about most of it. */
export const testContract = (overrides: Partial<EmbeddingContract> = {}): EmbeddingContract => ({
  model: 'test',
  provider: 'hashing',
  dim: 4,
  dtype: 'float32',
  pooling: 'mean',
  normalize: true,
  queryInstruction: '',
  ...overrides,
});
