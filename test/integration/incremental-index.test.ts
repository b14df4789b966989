import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git, initRepo, makeTmpDir, removeDir, SAMPLE_REPO, writeTree } from '../fixtures/repoHelpers.js';
import { compactRepo, createRecordingSink, indexRepo, liveIds, search } from '../support/indexing.js';
import { startStack, type TestStack } from '../support/stack.js';

/**
 * Incremental re-indexing against the ground truth: after every edit, add
 * and delete, the incrementally maintained repo must hold exactly the live
 * chunks a fresh full index of the same tree holds, and answer every query
 * with the same hits (ids and line numbers), from every sink.
 */

const QUERIES = [
  'compute interest on a bank account balance',
  'parseConfig environment variables',
  'rate limiter token bucket refill',
  'reconcile the ledger entries',
  'withdraw more than the balance raises an error',
  'helper module number 7 formats a value',
];

/** Filler modules so the repo spans several batches and parts. */
function helpers(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    out[`pkg/helper_${i}.py`] = `"""Helper module number ${i}."""\n\n\ndef format_value_${i}(value):\n    """Format a value for helper ${i}."""\n    return f"{value:>${i + 2}}"\n\n\ndef parse_value_${i}(text):\n    return int(text.strip()) + ${i}\n`;
  }
  return out;
}

describe('incremental re-indexing matches a fresh full index after every change', () => {
  let stack: TestStack;
  let repo: string;
  const sink = createRecordingSink();

  beforeAll(async () => {
    repo = await makeTmpDir('codeintel-inc-repo-');
    await fs.cp(SAMPLE_REPO, repo, { recursive: true });
    await writeTree(repo, helpers(12));
    initRepo(repo);
    commitAll(repo, 'initial');
    stack = await startStack({
      env: {
        BATCH_SIZE: '4', // several batches, parts and sink writes per run
        FAISS_COMPACT_MIN_SECONDARY: '1000000',
        FAISS_COMPACT_FRACTION: '0', // compaction only when the test asks
        MANIFEST_GC_GRACE_S: '0', // superseded versions go at once: readers must not need them
        // results are compared hit for hit: a channel dropped for missing the 400 ms latency budget on a loaded
        // machine (seen in a full run) would make two equal indexes look different
        RETRIEVAL_BUDGET_MS: '30000',
      },
      extraSinks: [sink],
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await removeDir(repo);
  });

  /** The incremental repo 'inc' against a full rebuild 'fresh' of the same tree. */
  async function expectSameAsFresh() {
    const fresh = await indexRepo(stack, { repo, name: 'fresh', full: true });
    const inc = await liveIds(stack, 'inc');
    expect([...inc].sort()).toEqual([...(await liveIds(stack, 'fresh'))].sort());
    // the optional sink holds exactly the live chunks: deleted ones were removed from it
    expect([...sink.held('inc')].sort()).toEqual([...inc].sort());
    const incManifest = (await stack.server.runtime.manifests.current('inc'))!;
    const freshManifest = (await stack.server.runtime.manifests.current('fresh'))!;
    expect(Object.fromEntries(Object.entries(incManifest.files).map(([p, f]) => [p, f.hash]))).toEqual(
      Object.fromEntries(Object.entries(freshManifest.files).map(([p, f]) => [p, f.hash])),
    );
    for (const q of QUERIES) {
      const [a, b] = [await search(stack, 'inc', q), await search(stack, 'fresh', q)];
      const view = (r: typeof a) => r.hits.map((h) => ({ chunkId: h.chunkId, path: h.path, lines: `${h.startLine}-${h.endLine}`, channels: h.channels }));
      expect(view(a), q).toEqual(view(b));
      for (const h of a.hits) expect(inc.has(h.chunkId), `${q}: ${h.chunkId} is not live`).toBe(true);
    }
    return fresh;
  }

  it('indexes the repo in full first', async () => {
    const first = await indexRepo(stack, { repo, name: 'inc' });
    expect(first).toMatchObject({ manifestVersion: 1, added: 17, changed: 0, deleted: 0 });
    await expectSameAsFresh();
  });

  it('after an edit that shifts lines, re-embeds only the changed files and reports the new line numbers', async () => {
    const before = await search(stack, 'inc', 'compute interest on a bank account balance');
    // a chunk below the file's first one: the edit prepends lines, so the first chunk's text (and id) changes
    const top = before.hits.find((h) => h.path === 'bank/account.py' && h.startLine > 1)!;
    const account = path.join(repo, 'bank/account.py');
    await fs.writeFile(account, `# Ledger-aware accounts.\nimport math\n\n${await fs.readFile(account, 'utf8')}`);
    const limiter = path.join(repo, 'src/rateLimiter.ts');
    await fs.writeFile(limiter, (await fs.readFile(limiter, 'utf8')).replace(/refill/i, 'refillTokens'));
    commitAll(repo, 'edit');

    const run = await indexRepo(stack, { repo, name: 'inc' });
    expect(run).toMatchObject({ manifestVersion: 2, added: 0, changed: 2, deleted: 0, unchanged: 15 });
    const after = await search(stack, 'inc', 'compute interest on a bank account balance');
    const moved = after.hits.find((h) => h.chunkId === top.chunkId);
    // the same chunk (same text, same id) now sits three lines lower
    expect(moved && [moved.startLine, moved.endLine]).toEqual([top.startLine + 3, top.endLine + 3]);
    await expectSameAsFresh();
  });

  it('after adding a file, finds it', async () => {
    await writeTree(repo, {
      'src/ledger.py': 'def reconcile_ledger(entries):\n    """Reconcile the ledger entries against the bank balance."""\n    return sum(e.amount for e in entries)\n',
    });
    commitAll(repo, 'add');
    const run = await indexRepo(stack, { repo, name: 'inc' });
    expect(run).toMatchObject({ manifestVersion: 3, added: 1, changed: 0, deleted: 0 });
    expect((await search(stack, 'inc', 'reconcile the ledger entries')).hits[0].path).toBe('src/ledger.py');
    await expectSameAsFresh();
  });

  it('after deleting a file, never returns its chunks from any channel or sink', async () => {
    const gone = await liveIds(stack, 'inc');
    git(repo, 'rm', '-q', 'src/config.ts');
    commitAll(repo, 'delete');
    const run = await indexRepo(stack, { repo, name: 'inc' });
    expect(run).toMatchObject({ manifestVersion: 4, added: 0, changed: 0, deleted: 1 });
    const live = await liveIds(stack, 'inc');
    const deleted = [...gone].filter((id) => !live.has(id));
    expect(deleted.length).toBeGreaterThan(0);
    const manifest = (await stack.server.runtime.manifests.current('inc'))!;
    expect(manifest.deletedChunkIds).toEqual(expect.arrayContaining(deleted));
    for (const q of ['parseConfig environment variables', 'config']) {
      const res = await search(stack, 'inc', q, 50);
      expect(res.hits.map((h) => h.path)).not.toContain('src/config.ts');
    }
    await expectSameAsFresh();
  });

  it('with nothing changed, commits no new version and says so', async () => {
    const run = await indexRepo(stack, { repo, name: 'inc' });
    expect(run).toMatchObject({ manifestVersion: 4, added: 0, changed: 0, deleted: 0, note: 'nothing changed since the previous version' });
    expect(await stack.server.runtime.manifests.currentVersion('inc')).toBe(4);
  });

  it('after a compaction, serves the same results from one primary index and one part', async () => {
    const result = await compactRepo(stack, 'inc');
    expect(result).toMatchObject({ compacted: true, fromVersion: 4, version: 5 });
    const m = (await stack.server.runtime.manifests.current('inc'))!;
    expect(m).toMatchObject({ kind: 'compaction', previousVersion: 4, deletedChunkIds: [], parts: ['parts/part-compact-v5-00000.parquet'] });
    expect(m.vectors.secondary).toBeNull();
    expect(m.vectors.primary!.count).toBe((await liveIds(stack, 'inc')).size);
    // superseded versions and what only they named are gone (grace 0)
    const repoDir = stack.server.runtime.manifests.repoDir('inc');
    expect((await fs.readdir(repoDir)).filter((f) => f.startsWith('manifest-'))).toEqual(['manifest-v5.json']);
    expect((await fs.readdir(path.join(repoDir, 'parts'))).sort()).toEqual(['part-compact-v5-00000.parquet']);
    expect((await fs.readdir(path.join(repoDir, 'faiss'))).sort()).toEqual(['primary-v5.ids.json', 'primary-v5.index']);
    await expectSameAsFresh();
  });

  it('after restoring a deleted file on top of a compacted version, serves it again', async () => {
    git(repo, 'checkout', '-q', 'HEAD~1', '--', 'src/config.ts');
    commitAll(repo, 'restore');
    const run = await indexRepo(stack, { repo, name: 'inc' });
    expect(run).toMatchObject({ manifestVersion: 6, added: 1 });
    expect((await search(stack, 'inc', 'parseConfig environment variables')).hits.map((h) => h.path)).toContain('src/config.ts');
    await expectSameAsFresh();
  });

  it('a full run rebuilds the primary from scratch', async () => {
    const run = await indexRepo(stack, { repo, name: 'inc', full: true });
    expect(run.manifestVersion).toBe(7);
    const m = (await stack.server.runtime.manifests.current('inc'))!;
    expect(m.vectors.secondary).toBeNull();
    expect(m.deletedChunkIds).toEqual([]);
    await expectSameAsFresh();
  });
});
