import type { IndexJobView } from '../../src/api/routes/indexJobs.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { registerChatCompletions, startFakeOpenAIServer, type ChatControl, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { committedCounts } from './committed.js';
import { freePort, rssMiB, startOwnRedis, startRole, type OwnRedis, type RoleProcess } from './cluster.js';

/**
 * The fault suite (issue 13): real processes — the API and one process per worker role — on
 * a redis-server of its own (AOF, fsync always), embedding through a fake vLLM. Each case
 * breaks one thing in the middle of an index run and checks that the run still ends with
 * every chunk exactly once in Parquet and in the FAISS id map. `npm run test:faults` runs
 * it alone; `npm test` runs it with everything else. It prints a table of the outcomes.
 */

type Role = 'index' | 'gpu' | 'sink' | 'answer';
interface Row {
  fault: string;
  outcome: string;
  chunks: number;
  parquetLost: number;
  parquetDuplicated: number;
  faissLost: number;
  faissDuplicated: number;
  seconds: number;
}

/** A row for a fault whose outcome is not a committed run: no chunks to count. */
const outcomeRow = (fault: string, outcome: string, started: number): Row => ({
  fault,
  outcome,
  chunks: 0,
  parquetLost: 0,
  parquetDuplicated: 0,
  faissLost: 0,
  faissDuplicated: 0,
  seconds: Math.round((Date.now() - started) / 100) / 10,
});

const FILES = 160;
const rows: Row[] = [];
let work: string;
let repo: string;
let redis: OwnRedis;
let vllm: FakeOpenAIServer;
let chat: ChatControl;
const REPLY = Array.from({ length: 20 }, (_, i) => `word${i} `);
let env: Record<string, string>;
let dataDir: string;
const procs: Partial<Record<'api' | Role, RoleProcess>> = {};
let baseline = 0;
/** the result of the last run, for a case's own checks */
let lastResult: IndexJobView['result'];

async function generateRepo(root: string) {
  const tree: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    tree[`pkg${i % 16}/module_${i}.py`] = `def handler_${i}(value):\n    """Handle case ${i}."""\n    return value * ${i}\n`;
  }
  await writeTree(root, tree);
}

const api = () => procs.api!.url!;

async function start(role: 'api' | Role, extra: Record<string, string> = {}, opts: { fileSizeLimit?: number } = {}) {
  procs[role] = await startRole(role, { ...env, ...extra }, work, opts);
}

/** Poll the run over HTTP, riding out the moments the API cannot reach Redis. */
async function waitForRun(jobId: string, timeoutMs = 150_000): Promise<Pick<IndexJobView, 'state' | 'result' | 'error'>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${api()}/v1/index-jobs/${jobId}`);
      if (res.ok) {
        const body = (await res.json()) as IndexJobView;
        if (body.state === 'completed' || body.state === 'failed') return body;
      }
    } catch {
      // the API is restarting or Redis is down: ask again
    }
    if (Date.now() > until) throw new Error(`run ${jobId} did not end within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Wait until some batches are written but not all: the middle of the run. */
async function midRun(jobId: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const body = (await (await fetch(`${api()}/v1/index-jobs/${jobId}`)).json()) as IndexJobView;
    const c = body.progress?.chunks;
    if (c && c.total > 0 && c.written > 0 && c.written < c.total) return;
    if (body.state === 'completed') throw new Error('the run ended before the fault could be injected');
    if (Date.now() > until) throw new Error('the run never reached its middle');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const count = (name: string, manifestVersion: number) => committedCounts(dataDir, name, manifestVersion);

/** Index the repo under a fresh name while `inject` breaks something; record and return the row. */
async function runWithFault(fault: string, inject: (jobId: string) => Promise<void>): Promise<Row> {
  const name = `f${rows.length}`;
  const started = Date.now();
  const submit = await fetch(`${api()}/v1/index-jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo, name }) });
  expect(submit.status).toBe(202);
  const { jobId } = (await submit.json()) as { jobId: string };
  await inject(jobId);
  const done = await waitForRun(jobId);
  lastResult = done.result;
  const row: Row = { fault, outcome: done.state, chunks: 0, parquetLost: 0, parquetDuplicated: 0, faissLost: 0, faissDuplicated: 0, seconds: 0 };
  if (done.state === 'completed' && done.result) {
    const result = done.result;
    const c = await count(name, result.manifestVersion);
    const expected = baseline || result.chunks;
    Object.assign(row, {
      chunks: result.chunks,
      parquetLost: expected - c.parquet.distinct_ids,
      parquetDuplicated: c.parquet.total - c.parquet.distinct_ids,
      faissLost: expected - c.faiss.distinct,
      faissDuplicated: c.faiss.total - c.faiss.distinct,
    });
  } else row.outcome = `failed: ${done.error?.detail ?? JSON.stringify(done.error)}`;
  row.seconds = Math.round((Date.now() - started) / 100) / 10;
  rows.push(row);
  return row;
}

/** Embedding requests the fake vLLM received during the case (faulted ones included). */
const embeddingRequests = () => vllm.requestsTo('/v1/embeddings').length;
const BATCHES = FILES / 8;

const slowEmbeddings = (ms: number) => vllm.fault({ delayMs: ms, times: 100_000 });

const expectExactlyOnce = (row: Row) => {
  expect(row.outcome).toBe('completed');
  expect(row.chunks).toBe(baseline);
  expect([row.parquetLost, row.parquetDuplicated, row.faissLost, row.faissDuplicated]).toEqual([0, 0, 0, 0]);
};

describe('fault suite: real processes, own Redis with AOF, fake vLLM', () => {
  beforeEach(() => vllm?.reset());

  beforeAll(async () => {
    work = await makeTmpDir('codeintel-faults-');
    repo = path.join(work, 'repo');
    await generateRepo(repo);
    dataDir = path.join(work, 'data');
    const redisDir = path.join(work, 'redis');
    await fs.mkdir(redisDir, { recursive: true });
    redis = await startOwnRedis(redisDir);
    vllm = await startFakeOpenAIServer({ dim: 16 });
    // the answer model streams one word every 100 ms, so an answer is still being written when its worker dies
    chat = registerChatCompletions(vllm, { model: 'chat-model', reply: REPLY, tokenDelayMs: 100 });
    env = {
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'faults',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BATCH_SIZE: '8',
      EMBEDDER: 'vllm',
      VLLM_URL: vllm.baseUrl,
      VLLM_MODEL: vllm.embeddings.model,
      // one encode job at a time: the 413 case checks that a batch learns its safe size before the next one is sent
      // (with two in flight, both first batches meet the OOM before either has learned it)
      GPU_CONCURRENCY: '1',
      VLLM_TIMEOUT_S: '2',
      VLLM_RETRY_BACKOFF_MS: '50',
      WORKER_LOCK_MS: '4000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      LLM_URL: vllm.baseUrl,
      LLM_MODEL: 'chat-model',
    };
    for (const role of ['api', 'index', 'gpu', 'sink', 'answer'] as const) await start(role);
  }, 120_000);

  afterAll(async () => {
    for (const p of Object.values(procs)) await p?.kill();
    await vllm?.close();
    await redis?.stop();
    // the table this suite exists to produce
    console.log(
      ['| fault | outcome | chunks | Parquet lost | Parquet duplicated | FAISS lost | FAISS duplicated | s |', '|---|---|---|---|---|---|---|---|']
        .concat(rows.map((r) => `| ${r.fault} | ${r.outcome} | ${r.chunks} | ${r.parquetLost} | ${r.parquetDuplicated} | ${r.faissLost} | ${r.faissDuplicated} | ${r.seconds} |`))
        .join('\n'),
    );
    await removeDir(work);
  });

  it('no fault: the baseline every case is compared with', { timeout: 150_000 }, async () => {
    const row = await runWithFault('none', async () => {});
    baseline = row.chunks;
    expect(baseline).toBeGreaterThanOrEqual(FILES);
    expectExactlyOnce(row);
  });

  for (const role of ['index', 'gpu', 'sink'] as const) {
    it(`kill -9 of the ${role} worker mid-run, then a restart`, { timeout: 150_000 }, async () => {
      slowEmbeddings(120);
      const row = await runWithFault(`kill -9 ${role} worker`, async (jobId) => {
        await midRun(jobId);
        await procs[role]!.kill();
        await start(role);
      });
      expectExactlyOnce(row);
    });
  }

  it('an optional sink (OpenSearch) refusing connections: the run still commits, the sink is reported failed', { timeout: 150_000 }, async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (const role of ['index', 'sink'] as const) {
      await procs[role]!.stop();
      await start(role, { OPENSEARCH_URL: closed, SINK_RETRY_ATTEMPTS: '1' });
    }
    try {
      const row = await runWithFault('OpenSearch refuses connections', async () => {});
      expectExactlyOnce(row);
      expect(lastResult?.sinks.opensearch).toMatchObject({ status: 'failed' });
    } finally {
      for (const role of ['index', 'sink'] as const) {
        await procs[role]!.stop();
        await start(role);
      }
    }
  });

  it('kill -9 of the answer worker mid-answer, then a restart: the answer ends, it does not hang', { timeout: 150_000 }, async () => {
    const started = Date.now();
    const posted = await fetch(`${api()}/v1/answers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo: 'f0', question: 'how is a case handled?' }) });
    expect(posted.status).toBe(202);
    const { answerId } = (await posted.json()) as { answerId: string };
    await expect.poll(() => chat.streams.at(-1)?.piecesSent ?? 0, { timeout: 30_000, interval: 20 }).toBeGreaterThan(2);
    await procs.answer!.kill();
    await start('answer');
    let answer: { state: string; answer?: string; error?: { detail?: string } } = { state: 'queued' };
    await expect
      .poll(
        async () => {
          answer = (await (await fetch(`${api()}/v1/answers/${answerId}`)).json()) as typeof answer;
          return answer.state;
        },
        { timeout: 60_000, interval: 200 },
      )
      .toMatch(/^(completed|failed)$/);
    rows.push(outcomeRow('kill -9 answer worker mid-answer', answer.state === 'completed' ? 'completed' : `failed: ${answer.error?.detail}`, started));
    if (answer.state === 'completed') expect(answer.answer).toBe(REPLY.join('').trim());
    else expect(answer.error?.detail).toBeTruthy();
  });

  it('DATA_DIR full for the sink writer (RLIMIT_FSIZE): the run fails clearly and the previous version keeps serving', { timeout: 150_000 }, async () => {
    const started = Date.now();
    const before = (await (await fetch(`${api()}/v1/repos`)).json()) as { name: string; manifestVersion: number }[];
    const previous = before.find((r) => r.name === 'f0')!.manifestVersion;
    await procs.sink!.stop();
    await start('sink', {}, { fileSizeLimit: 1 });
    try {
      const submit = await fetch(`${api()}/v1/index-jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo, name: 'f0', full: true }) });
      const { jobId } = (await submit.json()) as { jobId: string };
      const done = await waitForRun(jobId);
      const message = String(done.error?.detail ?? '');
      rows.push(outcomeRow('DATA_DIR full for the sink (RLIMIT_FSIZE)', `${done.state}: ${message.replace(/\/tmp\/\S+/g, '<DATA_DIR file>')}`, started));
      expect(done.state).toBe('failed');
      expect(message).toMatch(/EFBIG|too large/i);
      const search = await fetch(`${api()}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo: 'f0', query: 'handler_42', k: 3 }) });
      expect(search.status).toBe(200);
      expect(((await search.json()) as { manifestVersion: number }).manifestVersion).toBe(previous);
    } finally {
      await procs.sink!.stop();
      await start('sink');
    }
  });

  it('Redis killed (-9) mid-run and restarted from its AOF', { timeout: 150_000 }, async () => {
    slowEmbeddings(120);
    const row = await runWithFault('kill -9 redis-server, restart', async (jobId) => {
      await midRun(jobId);
      await redis.kill();
      // while Redis is down the API says so at once, retryable: a 503 problem with Retry-After, never a 500 or a wait
      const during = await fetch(`${api()}/v1/index-jobs/${jobId}`, { signal: AbortSignal.timeout(10_000) });
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('1');
      expect(((await during.json()) as { type: string }).type).toMatch(/\/redis-unavailable$/);
      await new Promise((r) => setTimeout(r, 1000));
      await redis.start();
    });
    expectExactlyOnce(row);
  });

  it('vLLM answering a storm of 503s', { timeout: 150_000 }, async () => {
    vllm.fault({ status: 503, times: 12 });
    expectExactlyOnce(await runWithFault('vLLM 503 storm (12 in a row)', async () => {}));
    expect(embeddingRequests()).toBeGreaterThanOrEqual(BATCHES + 12);
  });

  it('vLLM hanging past the client timeout', { timeout: 150_000 }, async () => {
    vllm.fault({ delayMs: 3000, times: 2 });
    expectExactlyOnce(await runWithFault('vLLM hangs 3 s (timeout 2 s), twice', async () => {}));
    expect(embeddingRequests()).toBeGreaterThanOrEqual(BATCHES + 2);
  });

  it('vLLM dropping the connection mid-request', { timeout: 150_000 }, async () => {
    vllm.fault({ drop: true, times: 4 });
    expectExactlyOnce(await runWithFault('vLLM drops the connection, 4 times', async () => {}));
    expect(embeddingRequests()).toBeGreaterThanOrEqual(BATCHES + 4);
  });

  it('vLLM answering 413 (out of memory) above a batch of 4', { timeout: 150_000 }, async () => {
    vllm.embeddings.oomAboveBatch = 4;
    try {
      expectExactlyOnce(await runWithFault('vLLM 413 above 4 texts (batch 8)', async () => {}));
      // the first batch was refused at 8 and halved (the safe size is then remembered)
      const sizes = vllm.embeddingInputs().map((input) => input.length);
      expect(sizes).toContain(8);
      expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(4);
    } finally {
      vllm.embeddings.oomAboveBatch = undefined;
    }
  });

  it('a bounded soak: index runs, searches and answers at once; every run ends, none is stuck, RSS stays bounded', { timeout: 240_000 }, async () => {
    const SOAK_MS = Number(process.env.FAULTS_SOAK_S ?? 30) * 1000;
    chat.behaviour.tokenDelayMs = 5;
    const roles = ['api', 'index', 'gpu', 'sink', 'answer'] as const;
    const rssBefore = Object.fromEntries(await Promise.all(roles.map(async (r) => [r, await rssMiB(procs[r]!.pid)] as const)));
    const started = Date.now();
    const post = (route: string, body: unknown) =>
      fetch(`${api()}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const runs: string[] = [];
    const answers: string[] = [];
    let searches = 0;
    let searchErrors = 0;
    const loops = [
      // index runs, one repo name per loop turn (a second run of a name waits for the first: 409)
      (async () => {
        for (let i = 0; Date.now() - started < SOAK_MS; i++) {
          const res = await post('/v1/index-jobs', { repo, name: `soak${i % 3}`, full: i % 2 === 0 });
          if (res.status === 202) runs.push(((await res.json()) as { jobId: string }).jobId);
          await new Promise((r) => setTimeout(r, 1500));
        }
      })(),
      (async () => {
        while (Date.now() - started < SOAK_MS) {
          const res = await post('/v1/search', { repo: 'f0', query: `handler_${searches % FILES}`, k: 5 });
          searches++;
          if (res.status !== 200) searchErrors++;
          await res.arrayBuffer();
        }
      })(),
      (async () => {
        while (Date.now() - started < SOAK_MS) {
          const res = await post('/v1/answers', { repo: 'f0', question: 'how is a case handled?' });
          if (res.status === 202) answers.push(((await res.json()) as { answerId: string }).answerId);
          await new Promise((r) => setTimeout(r, 1000));
        }
      })(),
    ];
    await Promise.all(loops);
    // every run and every answer ends
    const runStates = await Promise.all(runs.map(async (id) => (await waitForRun(id, 120_000)).state));
    const answerStates: string[] = [];
    for (const id of answers) {
      let state = 'queued';
      const until = Date.now() + 60_000;
      while (!['completed', 'failed', 'cancelled'].includes(state) && Date.now() < until) {
        state = ((await (await fetch(`${api()}/v1/answers/${id}`)).json()) as { state: string }).state;
        if (!['completed', 'failed', 'cancelled'].includes(state)) await new Promise((r) => setTimeout(r, 200));
      }
      answerStates.push(state);
    }
    const rssAfter = Object.fromEntries(await Promise.all(roles.map(async (r) => [r, await rssMiB(procs[r]!.pid)] as const)));
    const growth = roles.map((r) => `${r} ${Math.round(rssBefore[r])}→${Math.round(rssAfter[r])} MiB`).join(', ');
    rows.push(
      outcomeRow(
        `soak ${SOAK_MS / 1000} s: ${runs.length} runs, ${searches} searches, ${answers.length} answers`,
        `runs ${runStates.filter((s) => s === 'completed').length}/${runs.length} completed, answers ${answerStates.filter((s) => s === 'completed').length}/${answers.length} completed, ${searchErrors} search errors; RSS ${growth}`,
        started,
      ),
    );
    chat.behaviour.tokenDelayMs = 100;
    expect(runs.length).toBeGreaterThan(0);
    expect(runStates.every((s) => s === 'completed')).toBe(true);
    expect(answerStates.every((s) => s === 'completed')).toBe(true);
    expect(searchErrors).toBe(0);
    for (const r of roles) if (Number.isFinite(rssBefore[r])) expect(rssAfter[r], r).toBeLessThan(rssBefore[r] * 2 + 200);
    // and the soak runs left exact indexes too
    for (const name of ['soak0', 'soak1', 'soak2']) {
      const current = (await (await fetch(`${api()}/v1/repos`)).json()) as { name: string; manifestVersion: number }[];
      const v = current.find((c) => c.name === name)?.manifestVersion;
      if (v === undefined) continue;
      const c = await count(name, v);
      expect(c.faiss.distinct).toBe(c.faiss.total);
    }
  });
});
