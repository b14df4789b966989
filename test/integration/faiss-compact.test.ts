import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAll, git, initRepo, makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { compactRepo, indexRepo, liveIds, search } from '../support/indexing.js';
import { createRepoLock } from '../../src/manifest/repoLock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { serve, type Server } from '../../workers/serve.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

const WORDS = (
  'invoice payment refund ledger balance customer account settle credit debit tax total discount order cart ' +
  'shipment address currency exchange rate fee receipt journal entry audit report export import schedule ' +
  'retry queue batch window limit quota token session cache expire renew revoke grant role policy'
).split(' ');

/**
 * A repo of small modules, each with its own mix of words (a seeded draw),
 * so no two chunks tie on a score and result order is well defined.
 */
function modules(from: number, to: number, tag = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = from; i < to; i++) {
    let s = i * 7919 + tag.length * 104729 + 1;
    const word = () => WORDS[(s = (s * 1103515245 + 12345) % 2147483648) % WORDS.length];
    const phrase = (n: number) => Array.from({ length: n }, word).join(' ');
    out[`mod/m${i}.py`] =
      `"""Module ${i}${tag}: ${phrase(6)}."""\n\n\n` +
      `def settle_${word()}_${i}(invoice, payments):\n    """Settle ${phrase(5)} against the payments${tag}."""\n    return sum(p.amount for p in payments) - invoice.total + ${i}\n\n\n` +
      `def refund_${word()}_${i}(payment):\n    """Refund ${phrase(4)}${tag} to the customer."""\n    return -payment.amount * ${i % 7}\n`;
  }
  return out;
}

const QUERIES = ['settle the invoice against payments', 'refund a payment to the customer', 'ledger audit report', 'session token expire renew', 'revised currency exchange fee'];

const view = (r: Awaited<ReturnType<typeof search>>) => r.hits.map((h) => `${h.chunkId}@${h.path}:${h.startLine}-${h.endLine}`);

describe('faiss.compact while searches run', () => {
  let stack: TestStack;
  let repo: string;

  beforeAll(async () => {
    repo = await makeTmpDir('codeintel-compact-repo-');
    await writeTree(repo, modules(0, 40));
    initRepo(repo);
    commitAll(repo);
    stack = await startStack({
      env: {
        BATCH_SIZE: '16',
        FAISS_FLAT_MAX: '20', // the rebuilt primary is an IVF index, trained on a worker thread
        FAISS_COMPACT_MIN_SECONDARY: '1000000',
        FAISS_COMPACT_FRACTION: '0',
        MANIFEST_GC_GRACE_S: '0',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await removeDir(repo);
  });

  it('answers 404 for a repo that was never indexed', async () => {
    const res = await postJson(`${stack.url}/v1/repos/no-such-repo/compact`, {});
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/problem+json');
    expect((await fetch(`${stack.url}/v1/compact-jobs/nope`)).status).toBe(404);
  });

  it('loses no result and never serves a deleted chunk, before, during and after the swap', async () => {
    await indexRepo(stack, { repo, name: 'busy' });
    // edits, deletions and additions: a secondary index and deleted ids in the primary
    await writeTree(repo, { ...modules(20, 30, ' revised'), ...modules(40, 50) });
    for (let i = 0; i < 8; i++) git(repo, 'rm', '-q', `mod/m${i}.py`);
    commitAll(repo, 'churn');
    await indexRepo(stack, { repo, name: 'busy' });
    const before = (await stack.server.runtime.manifests.current('busy'))!;
    expect(before.vectors.secondary!.count).toBeGreaterThan(0);
    const deleted = new Set(before.deletedChunkIds);
    expect(deleted.size).toBeGreaterThan(0);

    const expected = new Map<string, string[]>();
    for (const q of QUERIES) expected.set(q, view(await search(stack, 'busy', q, 20)));

    let stop = false;
    const seen: { q: string; version: number; hits: string[] }[] = [];
    const failures: string[] = [];
    const loop = async (offset: number) => {
      for (let i = offset; !stop; i++) {
        const q = QUERIES[i % QUERIES.length];
        const res = await postJson(`${stack.url}/v1/search`, { repo: 'busy', query: q, k: 20 });
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body)}`);
        else seen.push({ q, version: res.body.manifestVersion, hits: view(res.body) });
      }
    };
    const loops = [0, 1, 2].map(loop);
    await new Promise((r) => setTimeout(r, 200));
    const result = await compactRepo(stack, 'busy');
    // keep searching until the new version has answered a few times
    for (let i = 0; i < 200 && seen.filter((s) => s.version === result.version).length < 10; i++) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    await Promise.all(loops);

    expect(result).toMatchObject({ compacted: true, fromVersion: before.version, primary: { type: expect.stringMatching(/^IVF\d+,Flat$/) } });
    expect(failures).toEqual([]);
    expect(seen.some((s) => s.version === before.version)).toBe(true);
    expect(seen.some((s) => s.version === result.version)).toBe(true);
    for (const s of seen) {
      for (const h of s.hits) expect(deleted.has(h.split('@')[0]), `${s.q} v${s.version} served deleted ${h}`).toBe(false);
      expect(s.hits, `${s.q} at v${s.version}`).toEqual(expected.get(s.q));
    }
    const after = (await stack.server.runtime.manifests.current('busy'))!;
    expect(after.vectors.primary!.count).toBe((await liveIds(stack, 'busy')).size);
  });

  it('runs one compaction per repo at a time and says when there is nothing to do', async () => {
    // hold the repo's write lease (as a long index commit would): the first compaction waits on it, still queued/active
    const lock = createRepoLock({ redis: stack.server.runtime.redis, prefix: stack.config.redisPrefix });
    let release!: () => void;
    let holding!: () => void;
    const acquired = new Promise<void>((r) => (holding = r));
    const held = lock.withLock('busy', () => {
      holding();
      return new Promise<void>((r) => (release = r));
    });
    await acquired;
    const a = await postJson(`${stack.url}/v1/repos/busy/compact`, {});
    const b = await postJson(`${stack.url}/v1/repos/busy/compact`, {});
    expect([a.status, b.status]).toEqual([202, 202]);
    // the second request joined the first one's job
    expect(b.body).toMatchObject({ jobId: a.body.jobId, alreadyQueued: true });
    release();
    await held;
    const deadline = Date.now() + 60_000;
    let body: { state: string; result?: unknown };
    do {
      await new Promise((r) => setTimeout(r, 50));
      body = (await (await fetch(`${stack.url}${a.body.statusUrl}`)).json()) as typeof body;
    } while (body.state !== 'completed' && body.state !== 'failed' && Date.now() < deadline);
    expect(body.result).toMatchObject({ compacted: false, note: expect.stringMatching(/nothing to compact/) });
  });
});

describe('compaction triggered by the secondary growing', () => {
  let stack: TestStack;
  let repo: string;
  beforeAll(async () => {
    repo = await makeTmpDir('codeintel-compact-auto-');
    await writeTree(repo, modules(0, 20));
    initRepo(repo);
    commitAll(repo);
    stack = await startStack({ env: { FAISS_COMPACT_MIN_SECONDARY: '1000000', FAISS_COMPACT_FRACTION: '0.3', MANIFEST_GC_GRACE_S: '0' } });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await removeDir(repo);
  });

  it('queues faiss.compact after the commit that pushes the secondary past FAISS_COMPACT_FRACTION', async () => {
    await indexRepo(stack, { repo, name: 'auto' });
    // a small edit stays below the threshold
    await writeTree(repo, modules(0, 1, ' small'));
    commitAll(repo, 'small');
    const small = await indexRepo(stack, { repo, name: 'auto' });
    expect((await stack.server.runtime.manifests.current('auto'))!.kind).toBe('index');
    // a large one passes it: the next version is a compaction's
    await writeTree(repo, modules(0, 12, ' large'));
    commitAll(repo, 'large');
    const large = await indexRepo(stack, { repo, name: 'auto' });
    expect(large.manifestVersion).toBe(small.manifestVersion + 1);
    const deadline = Date.now() + 60_000;
    let m = (await stack.server.runtime.manifests.current('auto'))!;
    while (m.kind !== 'compaction' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      m = (await stack.server.runtime.manifests.current('auto'))!;
    }
    expect(m).toMatchObject({ kind: 'compaction', version: large.manifestVersion + 1, previousVersion: large.manifestVersion, deletedChunkIds: [] });
    expect(m.vectors.secondary).toBeNull();
    // garbage collection runs after the compaction's commit (its post-commit hook): wait for it, do not race it
    const faissDir = path.join(stack.server.runtime.manifests.repoDir('auto'), 'faiss');
    const want = [`primary-v${m.version}.ids.json`, `primary-v${m.version}.index`];
    let files = (await fs.readdir(faissDir)).sort();
    for (const until = Date.now() + 15_000; files.join() !== want.join() && Date.now() < until; files = (await fs.readdir(faissDir)).sort()) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(files).toEqual(want);
  });
});

describe('an index run that a compaction overtakes', () => {
  let stack: TestStack;
  let repo: string;
  let gpu: Server | null = null;
  const startGpu = async () => {
    gpu = await serve(stack.config, silentLogger(), { roles: ['gpu'], api: false });
  };
  const stopGpu = async () => {
    await gpu?.close();
    gpu = null;
  };

  beforeAll(async () => {
    repo = await makeTmpDir('codeintel-compact-race-');
    await writeTree(repo, modules(0, 24));
    initRepo(repo);
    commitAll(repo);
    // API, index and sink roles here; the GPU role comes and goes, so the run can be held at its encode step
    stack = await startStack({ roles: ['index', 'sink'], env: { FAISS_COMPACT_MIN_SECONDARY: '1000000', FAISS_COMPACT_FRACTION: '0', MANIFEST_GC_GRACE_S: '0' } });
  }, 120_000);
  afterAll(async () => {
    await stopGpu();
    await stack?.close();
    await removeDir(repo);
  });

  it('commits on top of the compacted version (same files, new FAISS layout) and matches a fresh index', async () => {
    await startGpu();
    await indexRepo(stack, { repo, name: 'race' });
    await writeTree(repo, modules(0, 6, ' second'));
    commitAll(repo, 'second');
    const second = await indexRepo(stack, { repo, name: 'race' });
    await stopGpu();

    // a run that changes and deletes files, held before its vectors exist
    await writeTree(repo, modules(10, 14, ' third'));
    git(repo, 'rm', '-q', 'mod/m20.py');
    commitAll(repo, 'third');
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name: 'race' });
    for (let i = 0; i < 200; i++) {
      const job = (await (await fetch(`${stack.url}/v1/index-jobs/${submit.body.jobId}`)).json()) as { progress: { phase: string } };
      if (job.progress.phase === 'encode') break;
      await new Promise((r) => setTimeout(r, 50));
    }

    // the compaction takes the repo's write lease and commits while the run waits for its encoders
    const compacted = await compactRepo(stack, 'race');
    expect(compacted).toMatchObject({ compacted: true, fromVersion: second.manifestVersion, version: second.manifestVersion + 1 });

    await startGpu();
    const done = await waitForIndexJob(stack.url, submit.body.jobId, 60_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.result).toMatchObject({ manifestVersion: compacted.version + 1, changed: 4, deleted: 1 });
    const m = (await stack.server.runtime.manifests.current('race'))!;
    expect(m.previousVersion).toBe(compacted.version);
    expect(m.parts[0]).toBe(`parts/part-compact-v${compacted.version}-00000.parquet`);

    await indexRepo(stack, { repo, name: 'race-fresh', full: true });
    expect([...(await liveIds(stack, 'race'))].sort()).toEqual([...(await liveIds(stack, 'race-fresh'))].sort());
    for (const q of QUERIES) expect(view(await search(stack, 'race', q, 20)), q).toEqual(view(await search(stack, 'race-fresh', q, 20)));
  });
});
