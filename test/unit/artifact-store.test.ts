import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectoryArtifactStore } from '../../src/artifacts/store.js';
import { artifactKeys, chunkBatchSchema, stagedChunksSchema } from '../../src/contracts/artifacts.js';
import { ArtifactCorruptError } from '../../src/errors/artifactCorruptError.js';
import { ArtifactMissingError } from '../../src/errors/artifactMissingError.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

describe('staged artifacts are validated when read back', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await removeDir(dir);
  });

  it('returns an artifact that matches its schema', async () => {
    dir = await makeTmpDir('artifacts-');
    const store = createDirectoryArtifactStore(dir);
    const staged = { fileChunks: { 'a.ts': ['x'] }, batchSizes: [1], batchIds: [['x']], reused: 0 };
    await store.putJson(artifactKeys.staged('run1'), staged);
    expect(await store.getJson(artifactKeys.staged('run1'), stagedChunksSchema)).toEqual(staged);
  });

  it('refuses one that does not, naming the artifact and the field', async () => {
    dir = await makeTmpDir('artifacts-');
    const store = createDirectoryArtifactStore(dir);
    await store.putJson(artifactKeys.chunks('run1', 0), [{ id: 'not-a-chunk-id', path: 'a.ts', startLine: 0, endLine: 2, language: 'ts', symbols: [], text: '' }]);
    const err = await store.getJson(artifactKeys.chunks('run1', 0), chunkBatchSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactCorruptError);
    expect((err as Error).message).toMatch(/^artifact runs\/run1\/b00000\.chunks\.json does not match its schema: 0\.id: .*0\.startLine/);
    expect((err as ArtifactCorruptError).retryable).toBe(false);
  });

  it('refuses a torn file that is not JSON, and reports a missing one as missing', async () => {
    dir = await makeTmpDir('artifacts-');
    const store = createDirectoryArtifactStore(dir);
    const key = artifactKeys.staged('run2');
    await fs.mkdir(path.dirname(path.join(dir, key)), { recursive: true });
    await fs.writeFile(path.join(dir, key), '{"fileChunks": {"a.ts": [');
    await expect(store.getJson(key, stagedChunksSchema)).rejects.toThrow(/does not match its schema: not JSON/);
    await expect(store.getJson(artifactKeys.staged('run3'), stagedChunksSchema)).rejects.toBeInstanceOf(ArtifactMissingError);
  });
});
