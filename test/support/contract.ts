import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import type { Manifest } from '../../src/manifest/manifest.js';

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

/** An empty committed manifest of `repo` at `version`; tests override what they look at. */
export const testManifest = (over: Partial<Manifest> & Pick<Manifest, 'repo' | 'version'>): Manifest => ({
  formatVersion: 1,
  source: { kind: 'local', location: `/repos/${over.repo}`, root: `/repos/${over.repo}` },
  runId: `run-${over.version}`,
  createdAt: '2026-12-01T00:00:00.000Z',
  embedding: testContract(),
  sparse: null,
  files: {},
  parts: [],
  deletedChunkIds: [],
  vectors: { primary: null, secondary: null },
  stats: { files: 0, chunks: 0 },
  ...over,
});
