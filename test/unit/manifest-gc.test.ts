import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/manifest/gc.js';
import type { Manifest, VectorIndexRef } from '../../src/manifest/manifest.js';
import { DirectoryManifestStore, type ManifestStore } from '../../src/manifest/store.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { testContract, testManifest } from '../support/contract.js';

const MIN = 60_000;
const NOW = Date.parse('2025-01-01T12:00:00Z');

function ref(file: string): VectorIndexRef {
  return { file: `faiss/${file}.index`, idsFile: `faiss/${file}.ids.json`, type: 'Flat', dim: 4, metric: 'ip', count: 1, builtAt: '', trainedOn: 0 };
}

function manifest(version: number, over: Partial<Manifest>): Manifest {
  return testManifest({ repo: 'r', version, source: { kind: 'local', location: '/x', root: '/x' }, createdAt: new Date(NOW).toISOString(), embedding: testContract({ model: 'm' }), ...over });
}

describe('garbage collection of manifest versions', () => {
  let dataDir: string;
  let store: ManifestStore;
  let repoDir: string;

  beforeEach(async () => {
    dataDir = await makeTmpDir('codeintel-gc-');
    store = new DirectoryManifestStore(dataDir);
    repoDir = store.repoDir('r');
  });
  afterEach(() => removeDir(dataDir));

  /** Create a data file, aged `ageMs` before NOW. */
  async function touch(rel: string, ageMs = 60 * MIN) {
    const file = path.join(repoDir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, rel);
    const t = new Date(NOW - ageMs);
    await fs.utimes(file, t, t);
  }
  async function commit(m: Manifest, ageMs: number) {
    for (const f of [...m.parts, ...[m.vectors.primary, m.vectors.secondary].flatMap((r) => (r ? [r.file, r.idsFile] : []))]) {
      if (!(await exists(f))) await touch(f, ageMs);
    }
    await store.commit({ ...m, createdAt: new Date(NOW - ageMs).toISOString() });
    const t = new Date(NOW - ageMs);
    await fs.utimes(path.join(repoDir, `manifest-v${m.version}.json`), t, t);
  }
  const exists = (rel: string) => fs.access(path.join(repoDir, rel)).then(() => true, () => false);

  it('keeps the current version and those superseded within the grace; drops older ones and what only they named', async () => {
    // v1 (full) → v2 (incremental, adds a part and a secondary) → v3 (compaction) → v4 (incremental)
    await commit(manifest(1, { parts: ['parts/p1.parquet'], vectors: { primary: ref('primary-v1'), secondary: null }, previousVersion: null }), 120 * MIN);
    await commit(
      manifest(2, { parts: ['parts/p1.parquet', 'parts/p2.parquet'], vectors: { primary: ref('primary-v1'), secondary: ref('secondary-v2') }, previousVersion: 1 }),
      90 * MIN,
    );
    await commit(manifest(3, { parts: ['parts/compact-v3.parquet'], vectors: { primary: ref('primary-v3'), secondary: null }, previousVersion: 2, kind: 'compaction' }), 5 * MIN);
    await commit(
      manifest(4, { parts: ['parts/compact-v3.parquet', 'parts/p4.parquet'], vectors: { primary: ref('primary-v3'), secondary: ref('secondary-v4') }, previousVersion: 3 }),
      1 * MIN,
    );

    const result = await collectGarbage(store, 'r', { graceMs: 10 * MIN, now: NOW });

    // v3 was superseded a minute ago (by v4): kept; v2 was superseded 5 minutes ago (by v3): kept;
    // v1 was superseded 90 minutes ago: gone
    expect(result.kept).toEqual([2, 3, 4]);
    expect(result.removedVersions).toEqual([1]);
    // p1 and primary-v1 are still named by v2
    expect(result.removedFiles).toEqual([]);
    expect(await exists('parts/p1.parquet')).toBe(true);

    const later = await collectGarbage(store, 'r', { graceMs: 10 * MIN, now: NOW + 6 * MIN });
    expect(later.kept).toEqual([3, 4]);
    expect(later.removedVersions).toEqual([2]);
    expect(later.removedFiles.sort()).toEqual(
      ['faiss/primary-v1.ids.json', 'faiss/primary-v1.index', 'faiss/secondary-v2.ids.json', 'faiss/secondary-v2.index', 'parts/p1.parquet', 'parts/p2.parquet'].sort(),
    );
    for (const f of ['parts/compact-v3.parquet', 'parts/p4.parquet', 'faiss/primary-v3.index', 'faiss/secondary-v4.index', 'manifest-v3.json', 'manifest-v4.json']) {
      expect(await exists(f), f).toBe(true);
    }
  });

  it('never deletes a file the current version names, even with no grace at all', async () => {
    await commit(manifest(1, { parts: ['parts/a.parquet'], vectors: { primary: ref('primary-v1'), secondary: null }, previousVersion: null }), 60 * MIN);
    await commit(manifest(2, { parts: ['parts/a.parquet', 'parts/b.parquet'], vectors: { primary: ref('primary-v1'), secondary: ref('secondary-v2') }, previousVersion: 1 }), 30 * MIN);
    const result = await collectGarbage(store, 'r', { graceMs: 0, now: NOW });
    expect(result.kept).toEqual([2]);
    expect(result.removedVersions).toEqual([1]);
    expect(result.removedFiles).toEqual([]);
    for (const f of ['parts/a.parquet', 'parts/b.parquet', 'faiss/primary-v1.index', 'faiss/secondary-v2.ids.json']) expect(await exists(f), f).toBe(true);
  });

  it('drops a crashed commit (a manifest never made current) and orphaned FAISS files after the grace only', async () => {
    await commit(manifest(1, { parts: ['parts/a.parquet'], vectors: { primary: ref('primary-v1'), secondary: null }, previousVersion: null }), 60 * MIN);
    // v2: the manifest file was written, CURRENT never swapped; v3 is the retry that committed
    await touch('faiss/secondary-v2.index', 50 * MIN);
    await touch('faiss/secondary-v2.ids.json', 50 * MIN);
    await fs.writeFile(path.join(repoDir, 'manifest-v2.json'), JSON.stringify(manifest(2, { parts: ['parts/a.parquet'], vectors: { primary: ref('primary-v1'), secondary: ref('secondary-v2') }, previousVersion: 1 })));
    await commit(manifest(3, { parts: ['parts/a.parquet', 'parts/c.parquet'], vectors: { primary: ref('primary-v1'), secondary: ref('secondary-v3') }, previousVersion: 1 }), 40 * MIN);
    // a crash after the FAISS files but before any manifest: files only, recent and old
    await touch('faiss/secondary-v9.index', 1 * MIN);
    await touch('faiss/secondary-v8.index', 30 * MIN);
    // a commit in flight right now (manifest written above CURRENT a moment ago) must survive
    await fs.writeFile(path.join(repoDir, 'manifest-v10.json'), JSON.stringify(manifest(10, { previousVersion: 3 })));
    const t = new Date(NOW - 1000);
    await fs.utimes(path.join(repoDir, 'manifest-v10.json'), t, t);

    const result = await collectGarbage(store, 'r', { graceMs: 10 * MIN, now: NOW });
    expect(result.kept).toEqual([3]);
    expect(result.removedVersions).toEqual([1, 2]);
    expect(result.removedFiles.sort()).toEqual(['faiss/secondary-v2.ids.json', 'faiss/secondary-v2.index', 'faiss/secondary-v8.index'].sort());
    expect(await exists('faiss/secondary-v9.index')).toBe(true);
    expect(await exists('manifest-v10.json')).toBe(true);
    expect(await exists('parts/a.parquet')).toBe(true);
  });

  it('leaves parts no manifest names yet (a run still encoding) for a day, and stale temp files for the grace', async () => {
    await commit(manifest(1, { parts: ['parts/a.parquet'], vectors: { primary: ref('primary-v1'), secondary: null }, previousVersion: null }), 60 * MIN);
    await touch('parts/part-run2-00000.parquet', 3 * 60 * MIN); // a long run's part, 3 hours old
    await touch('parts/part-run0-00000.parquet', 25 * 60 * MIN); // a failed run's part, 25 hours old
    await touch('parts/.part-run2-00001.parquet.4242.0a1b2c3d.tmp', 30 * MIN);
    await touch('CURRENT.tmp-4242-0a1b2c3d', 30 * MIN);
    const result = await collectGarbage(store, 'r', { graceMs: 10 * MIN, now: NOW });
    expect(result.removedFiles.sort()).toEqual(['CURRENT.tmp-4242-0a1b2c3d', 'parts/.part-run2-00001.parquet.4242.0a1b2c3d.tmp', 'parts/part-run0-00000.parquet'].sort());
    expect(await exists('parts/part-run2-00000.parquet')).toBe(true);
  });

  it('does nothing for a repo without a committed version', async () => {
    await touch('faiss/secondary-v1.index', 60 * MIN);
    const result = await collectGarbage(store, 'r', { graceMs: 0, now: NOW });
    expect(result).toEqual({ current: null, kept: [], removedVersions: [], removedFiles: [] });
    expect(await exists('faiss/secondary-v1.index')).toBe(true);
  });
});
