import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFileCache } from '../../src/artifacts/fileCache.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

const KB = 1024;

describe('the local file cache of committed objects', () => {
  let dir: string;
  let fetched: string[];
  /** a "store" of 10 KB objects named by key; `gone` is missing from it */
  const fetch = async (key: string, file: string) => {
    if (key.endsWith('gone')) return false;
    fetched.push(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, Buffer.alloc(10 * KB, key.length));
    return true;
  };
  const cache = (maxBytes: number) => new LocalFileCache({ dir, maxBytes, fetch, protectNewerThanMs: 0 });
  const onDisk = async (key: string) => fs.access(path.join(dir, key)).then(() => true, () => false);

  beforeEach(async () => {
    dir = await makeTmpDir('codeintel-cache-');
    fetched = [];
  });
  afterEach(() => removeDir(dir));

  it('fetches a missing file once and serves the local copy after', async () => {
    const c = cache(100 * KB);
    const [p] = await c.materialize(['repos/r/parts/a.parquet']);
    expect(p).toBe(path.join(dir, 'repos/r/parts/a.parquet'));
    await c.materialize(['repos/r/parts/a.parquet']);
    expect(fetched).toEqual(['repos/r/parts/a.parquet']);
  });

  it('evicts least recently used files once past its size, never the set just asked for', async () => {
    const c = cache(25 * KB);
    await c.materialize(['a']);
    await c.materialize(['b']);
    await c.materialize(['a']); // a is now more recent than b
    await c.materialize(['c']);
    expect(c.keys).toEqual(['a', 'c']);
    expect(c.usedBytes).toBe(20 * KB);
    expect([await onDisk('a'), await onDisk('b'), await onDisk('c')]).toEqual([true, false, true]);
    // a set larger than the budget is kept whole while it is in use
    await c.materialize(['d', 'e', 'f']);
    expect(c.keys.sort()).toEqual(['d', 'e', 'f']);
  });

  it('keeps held files past the budget until they are released', async () => {
    const c = cache(15 * KB);
    await c.materialize(['a']);
    const release = c.hold(['a']);
    await c.materialize(['b']);
    expect(c.keys).toEqual(['a', 'b']);
    release();
    await c.materialize(['c']);
    expect(c.keys).toEqual(['c']);
  });

  it('counts what an earlier process left in the directory, and re-fetches a file deleted behind its back', async () => {
    await cache(100 * KB).materialize(['old1', 'old2']);
    const c = cache(15 * KB);
    await c.materialize(['new']);
    expect(c.keys).toEqual(['new']);
    await fs.rm(path.join(dir, 'new'));
    await c.materialize(['new']);
    expect(fetched.filter((k) => k === 'new')).toHaveLength(2);
  });

  it('counts a file a writer published (adopt) against the budget', async () => {
    const c = cache(15 * KB);
    await c.materialize(['a']);
    await fs.writeFile(path.join(dir, 'mine'), Buffer.alloc(10 * KB));
    await c.adopt('mine');
    expect(c.keys).toEqual(['mine']);
  });

  it('says which object the store does not have', async () => {
    await expect(cache(100 * KB).materialize(['repos/r/gone'])).rejects.toThrow(/repos\/r\/gone is not in the store/);
  });
});
