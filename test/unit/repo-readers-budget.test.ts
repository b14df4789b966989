import { describe, expect, it } from 'vitest';
import type { ChunkCatalog } from '../../src/catalog/chunkCatalog.js';
import type { DuckDb } from '../../src/catalog/duckdb.js';
import type { ManifestStore } from '../../src/manifest/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { RepoReaders, type RepoReader } from '../../src/retrieval/repoReaders.js';

const MB = 1024 * 1024;

/** Readers over fake repos of a given size (what their catalog says it holds); records which were released. */
function readersOver(sizesMb: Record<string, number>, opts: { memoryBudgetBytes?: number; maxOpenRepos?: number; trimNativeHeap?: () => void }) {
  const released: string[] = [];
  const open = async (repo: string, version: number): Promise<RepoReader> => ({
    manifest: { repo, version } as RepoReader['manifest'],
    catalog: {
      memoryBytes: () => sizesMb[repo] * MB,
      dispose: async () => void released.push(repo),
    } as unknown as ChunkCatalog,
    primary: null,
    secondary: null,
    deleted: new Set(),
  });
  const manifests = { currentVersion: async () => 1 } as unknown as ManifestStore;
  const readers = new RepoReaders({ manifests, db: {} as DuckDb, logger: silentLogger(), releaseAfterMs: 0, open, ...opts });
  return { readers, released };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('RepoReaders: a memory budget', () => {
  it('releases the least recently searched repos once the open ones hold more than the budget', async () => {
    const { readers, released } = readersOver({ a: 40, b: 40, c: 40 }, { memoryBudgetBytes: 100 * MB });
    for (const repo of ['a', 'b', 'c']) await readers.get(repo);
    await settle();
    expect(readers.openRepos).toEqual(['b', 'c']);
    expect(readers.openBytes).toBe(80 * MB);
    expect(released).toEqual(['a']);
  });

  it('counts a repo searched again as recently used', async () => {
    const { readers } = readersOver({ a: 40, b: 40, c: 40 }, { memoryBudgetBytes: 100 * MB });
    await readers.get('a');
    await readers.get('b');
    await readers.get('a');
    await readers.get('c');
    expect(readers.openRepos).toEqual(['a', 'c']);
  });

  it('keeps a repo larger than the whole budget open alone, since it is the one being searched', async () => {
    const { readers, released } = readersOver({ small: 10, huge: 500 }, { memoryBudgetBytes: 100 * MB });
    await readers.get('small');
    const huge = await readers.get('huge');
    await settle();
    expect(huge?.manifest.repo).toBe('huge');
    expect(readers.openRepos).toEqual(['huge']);
    expect(released).toEqual(['small']);
  });

  it('still applies the count limit under a large budget', async () => {
    const { readers } = readersOver({ a: 1, b: 1, c: 1 }, { memoryBudgetBytes: 1000 * MB, maxOpenRepos: 2 });
    for (const repo of ['a', 'b', 'c']) await readers.get(repo);
    expect(readers.openRepos).toEqual(['b', 'c']);
  });

  it('hands the native heap back after each load (trimNativeHeap), not on a cached get', async () => {
    let trims = 0;
    const { readers } = readersOver({ a: 1, b: 1 }, { trimNativeHeap: () => void trims++ });
    await readers.get('a');
    await readers.get('a');
    await readers.get('b');
    expect(trims).toBe(2);
  });
});
