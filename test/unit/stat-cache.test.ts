import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statCache } from '../../src/indexing/statCache.js';
import { openSnapshot } from '../../src/repo/snapshot.js';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';

const T = Date.parse('2025-03-01T10:00:00Z');
const entry = (hash: string, size: number, mtimeMs: number) => ({ hash, language: 'python', chunkIds: ['c'], size, mtimeMs });

describe('the stat cache of the previous version', () => {
  const previous = {
    scannedAt: new Date(T).toISOString(),
    files: {
      'old.py': entry('h-old', 10, T - 60_000),
      'racy.py': entry('h-racy', 10, T - 500),
      'nostat.py': { hash: 'h', language: 'python', chunkIds: [] },
    },
  };
  const known = statCache(previous);

  it('keeps the hash of a file whose size and mtime are what the previous listing saw', () => {
    expect(known('old.py', 10, T - 60_000)).toEqual({ path: 'old.py', size: 10, hash: 'h-old', language: 'python', mtimeMs: T - 60_000 });
  });
  it('reads a file again when its size or mtime moved, or it is new', () => {
    expect(known('old.py', 11, T - 60_000)).toBeUndefined();
    expect(known('old.py', 10, T - 59_000)).toBeUndefined();
    expect(known('new.py', 10, T - 60_000)).toBeUndefined();
    expect(known('nostat.py', 10, T - 60_000)).toBeUndefined();
  });
  it('distrusts a file modified within two seconds of the previous listing (it may have changed within one timestamp tick)', () => {
    expect(known('racy.py', 10, T - 500)).toBeUndefined();
  });
  it('trusts nothing from a version that recorded no listing time', () => {
    expect(statCache({ files: previous.files })('old.py', 10, T - 60_000)).toBeUndefined();
  });
});

describe('listing with a stat cache', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await makeTmpDir('codeintel-statcache-');
    await writeTree(repo, { 'a.py': 'print("a")\n', 'b.py': 'print("b")\n' });
  });
  afterAll(() => removeDir(repo));

  it('records each file mtime, and does not read a file the cache knows', async () => {
    const opts = { maxFileBytes: 10_000, maxLineChars: 1000 };
    const first = await (await openSnapshot(repo, opts)).listFiles();
    const a = first.files.find((f) => f.path === 'a.py')!;
    expect(a.mtimeMs).toBe((await fs.stat(path.join(repo, 'a.py'))).mtimeMs);

    const asked: string[] = [];
    const second = await (
      await openSnapshot(repo, {
        ...opts,
        knownFile: (rel, size, mtimeMs) => {
          asked.push(rel);
          // claim a.py is known with a made-up hash: it must come back without being read
          return rel === 'a.py' && size === a.size && mtimeMs === a.mtimeMs ? { ...a, hash: 'from-cache' } : undefined;
        },
      })
    ).listFiles();
    expect(asked.sort()).toEqual(['a.py', 'b.py']);
    expect(second.files.find((f) => f.path === 'a.py')!.hash).toBe('from-cache');
    expect(second.files.find((f) => f.path === 'b.py')!.hash).toBe(first.files.find((f) => f.path === 'b.py')!.hash);
  });
});
