import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRepoManifests } from '../../src/manifest/listing.js';
import { DirectoryManifestStore } from '../../src/manifest/store.js';
import { testManifest } from '../support/contract.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

const manifest = (repo: string) => testManifest({ repo, version: 1 });

describe('listing the repos of a store', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await removeDir(dir);
  });

  it('lists a repo whose current manifest is gone as broken, and the others as they are', async () => {
    dir = await makeTmpDir('listing-');
    const store = new DirectoryManifestStore(dir);
    await store.commit(manifest('alpha'));
    await store.commit(manifest('beta'));
    await fs.writeFile(path.join(dir, 'repos', 'beta', 'CURRENT'), '7\n');
    const listing = await listRepoManifests(store);
    expect(listing.map((e) => ('manifest' in e ? { name: e.name, version: e.manifest.version } : e))).toEqual([
      { name: 'alpha', version: 1 },
      { name: 'beta', broken: true, manifestVersion: 7, error: 'CURRENT names manifest-v7.json, which is missing' },
    ]);
  });
});
