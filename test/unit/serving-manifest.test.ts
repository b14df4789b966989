import { describe, expect, it } from 'vitest';
import { servingManifest, type Manifest } from '../../src/manifest/manifest.js';

/** What a query process keeps of a manifest: everything but each file's chunk ids. */
describe('servingManifest', () => {
  it('drops the files chunk ids and keeps the rest, the input untouched', () => {
    const manifest = {
      formatVersion: 1,
      version: 3,
      repo: 'r',
      files: {
        'a.py': { hash: 'h1', language: 'python', chunkIds: ['c1', 'c2'], size: 10, mtimeMs: 5 },
        'b.ts': { hash: 'h2', language: 'typescript', chunkIds: [] },
      },
      parts: ['p1.parquet'],
      deletedChunkIds: ['c0'],
    } as unknown as Manifest;
    const kept = servingManifest(manifest);
    expect(kept.files).toEqual({ 'a.py': { hash: 'h1', language: 'python', size: 10, mtimeMs: 5 }, 'b.ts': { hash: 'h2', language: 'typescript' } });
    expect({ ...kept, files: null }).toEqual({ ...manifest, files: null });
    expect(manifest.files['a.py'].chunkIds).toEqual(['c1', 'c2']);
  });
});
