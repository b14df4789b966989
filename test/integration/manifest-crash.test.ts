import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/artifacts/atomicWrite.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { commitAll, initRepo, makeTmpDir, removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { indexRepo, liveIds, search } from '../support/indexing.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * A crash between writing a version's files and swapping CURRENT: the
 * previous version keeps serving, and the retried run commits cleanly under
 * a new version number (the half-written one is never made current).
 */
describe('a commit that dies half-way', () => {
  let stack: TestStack;
  let repo: string;

  beforeAll(async () => {
    repo = await makeTmpDir('codeintel-crash-repo-');
    await fs.cp(SAMPLE_REPO, repo, { recursive: true });
    initRepo(repo);
    commitAll(repo);
    stack = await startStack({ env: { FAISS_COMPACT_FRACTION: '0', MANIFEST_GC_GRACE_S: '3600' } });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await removeDir(repo);
  });

  /**
   * Make the next commit stop at `point`, wait for the test to look around,
   * then throw (as a killed process would leave things); later commits work.
   */
  function crashNextCommit(point: 'after-faiss-files' | 'after-manifest-file') {
    const store = stack.server.runtime.manifests;
    const original = store.commit.bind(store);
    let reached!: (m: Manifest) => void;
    let release!: () => void;
    const atCrash = new Promise<Manifest>((r) => (reached = r));
    const resume = new Promise<void>((r) => (release = r));
    store.commit = async (manifest: Manifest) => {
      store.commit = original;
      if (point === 'after-manifest-file') {
        await writeFileAtomic(path.join(store.repoDir(manifest.repo), `manifest-v${manifest.version}.json`), JSON.stringify(manifest));
      }
      reached(manifest);
      await resume;
      throw new Error(`simulated crash ${point}`);
    };
    return { atCrash, release };
  }

  async function editAccount(marker: string) {
    const file = path.join(repo, 'bank/account.py');
    await fs.appendFile(file, `\n\ndef ${marker}(account):\n    """Close the account and settle the ${marker} balance."""\n    return account.balance\n`);
    commitAll(repo, marker);
  }

  it.each(['after-faiss-files', 'after-manifest-file'] as const)('leaves the previous version serving when it dies %s, and the retry commits cleanly', async (point) => {
    const name = `crash-${point}`;
    const first = await indexRepo(stack, { repo, name });
    const query = 'close the account and settle the balance';
    const before = await search(stack, name, query);
    expect(before.manifestVersion).toBe(first.manifestVersion);

    const marker = point === 'after-faiss-files' ? 'close_account_early' : 'close_account_late';
    const oldLines = (await fs.readFile(path.join(repo, 'bank/account.py'), 'utf8')).split('\n').length;
    const beyondOldEnd = (h: { path: string; endLine: number }) => h.path === 'bank/account.py' && h.endLine > oldLines;
    await editAccount(marker);
    const crash = crashNextCommit(point);
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name });
    expect(submit.status).toBe(202);
    const half = await crash.atCrash;

    // the new version's FAISS files are on disk (and, in the second case, its manifest), but not current
    const repoDir = stack.server.runtime.manifests.repoDir(name);
    expect(await fs.readdir(path.join(repoDir, 'faiss'))).toEqual(expect.arrayContaining([`secondary-v${half.version}.index`]));
    expect(await stack.server.runtime.manifests.currentVersion(name)).toBe(first.manifestVersion);
    const during = await search(stack, name, query);
    expect(during.manifestVersion).toBe(first.manifestVersion);
    expect(during.hits).toEqual(before.hits);
    expect(during.hits.some(beyondOldEnd)).toBe(false);

    crash.release();
    const done = await waitForIndexJob(stack.url, submit.body.jobId, 60_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.attemptsMade).toBeGreaterThanOrEqual(1);
    // a manifest file left by the crash is never reused: the retry takes the next number
    expect(done.result!.manifestVersion).toBe(point === 'after-manifest-file' ? half.version + 1 : half.version);
    const m = (await stack.server.runtime.manifests.current(name))!;
    expect(m.previousVersion).toBe(first.manifestVersion);
    const after = await search(stack, name, query);
    expect(after.manifestVersion).toBe(done.result!.manifestVersion);
    expect(after.hits[0].path).toBe('bank/account.py');
    expect(after.hits.some(beyondOldEnd)).toBe(true);
    expect(after.hits.every((h) => (m.files[h.path]?.chunkIds ?? []).includes(h.chunkId))).toBe(true);
    expect((await liveIds(stack, name)).size).toBe(done.result!.chunks);
  });

  it('a run that dies right after its commit, with a compaction committed on top meanwhile, still reports its own version', async () => {
    const name = 'crash-after-commit';
    await indexRepo(stack, { repo, name });
    await editAccount('close_account_after');
    const store = stack.server.runtime.manifests;
    const original = store.commit.bind(store);
    let committed!: (m: Manifest) => void;
    const atCommit = new Promise<Manifest>((r) => (committed = r));
    store.commit = async (manifest: Manifest) => {
      store.commit = original;
      await original(manifest);
      // the compaction queues now and waits for the lease this run still holds: it gets it before the retry
      const compact = await postJson(`${stack.url}/v1/repos/${name}/compact`, {});
      expect(compact.status).toBe(202);
      const job = (await stack.server.runtime.queues.index.getJob(compact.body.jobId))!;
      for (let i = 0; i < 100 && (await job.getState()) !== 'active'; i++) await new Promise((r) => setTimeout(r, 20));
      committed(manifest);
      throw new Error('simulated crash after the commit, before the run recorded it');
    };
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name });
    const mine = await atCommit;
    const done = await waitForIndexJob(stack.url, submit.body.jobId, 60_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.result!.manifestVersion).toBe(mine.version);
    const current = (await store.current(name))!;
    expect(current).toMatchObject({ kind: 'compaction', previousVersion: mine.version });
  });
});
