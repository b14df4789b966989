import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerRecord } from '../../src/answer/store.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { serve, type Server } from '../../workers/serve.js';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { registerChatCompletions, registerRerank, startFakeOpenAIServer, type ChatControl, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { readEvents, type ReceivedEvent } from '../support/sseClient.js';
import { postJson, REDIS_URL, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * POST /v1/answers → answer.run on the "answer" queue → events through Redis
 * (stream + pub/sub) → SSE from any API process. The chat model and the
 * reranker are a fake vLLM speaking the OpenAI streaming protocol.
 */

const REPLY = ['Interest ', 'is ', 'computed ', 'by ', '`compute_interest` ', '[', '1', ']', ', ', 'as ', 'the ', 'README ', 'says ', '[2]', '.'];
const QUESTION = 'compute interest on a bank account balance';

describe('answers API: hybrid retrieval, streamed generation, Redis relay', () => {
  let fake: FakeOpenAIServer;
  let chat: ChatControl;
  let stack: TestStack;
  /** a second API process (no workers) on the same Redis and data dir */
  let apiB: Server;
  let urlB: string;

  beforeAll(async () => {
    fake = await startFakeOpenAIServer();
    chat = registerChatCompletions(fake, { model: 'chat-model', reply: REPLY });
    // a "cross-encoder" that knows where interest is computed: its order must win over the fused one
    registerRerank(fake, { model: 'rerank-model', score: (_q, doc) => (doc.includes('def compute_interest') ? 1 : 0) });
    const answerEnv = {
      LLM_URL: fake.baseUrl,
      LLM_MODEL: 'chat-model',
      LLM_MAX_TOKENS: '128',
      RERANK_URL: fake.baseUrl,
      RERANK_MODEL: 'rerank-model',
      ANSWER_CANCEL_GRACE_MS: '300',
    };
    stack = await startStack({ env: answerEnv });
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    expect((await waitForIndexJob(stack.url, submit.body.jobId)).state).toBe('completed');
    apiB = await serve(
      loadConfig({ ...answerEnv, REDIS_URL, REDIS_PREFIX: stack.prefix, DATA_DIR: stack.dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
      silentLogger(),
      { roles: [] },
    );
    urlB = apiB.url;
  });
  afterAll(async () => {
    await apiB?.close();
    await stack?.close();
    await fake?.close();
  });

  const ask = async (body: object, headers: Record<string, string> = {}, base = stack.url) => postJson(`${base}/v1/answers`, body, headers);
  const getJson = async (url: string): Promise<AnswerRecord> => (await fetch(url)).json() as Promise<AnswerRecord>;
  const tokens = (evs: ReceivedEvent[]) => evs.filter((e) => e.event === 'token').map((e) => e.data.text).join('');

  it('streams retrieval, tokens, progressive citations and done, with sequential ids; the poller gets the same answer', async () => {
    const posted = await ask({ repo: 'sample', question: QUESTION });
    expect(posted.status).toBe(202);
    const { answerId, eventsUrl, resultUrl } = posted.body;
    expect(eventsUrl).toBe(`/v1/answers/${answerId}/events`);
    expect(resultUrl).toBe(`/v1/answers/${answerId}`);

    const { status, contentType, events } = await readEvents(`${stack.url}${eventsUrl}`);
    expect(status).toBe(200);
    expect(contentType).toContain('text/event-stream');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0].event).toBe('retrieval');
    expect(events.at(-1)!.event).toBe('done');
    expect(tokens(events)).toBe(REPLY.join(''));

    // the sources, numbered as the prompt numbered them, in the reranker's order
    const sources = events[0].data.chunks;
    expect(sources.map((c: { n: number }) => c.n)).toEqual(sources.map((_: unknown, i: number) => i + 1));
    expect(sources[0].path).toBe('bank/account.py');
    const prompt = (chat.streams.at(-1)!.body.messages ?? [])[1].content;
    expect(prompt).toContain(`[1] bank/account.py:${sources[0].startLine}-${sources[0].endLine}`);
    expect(prompt.endsWith(`Question: ${QUESTION}`)).toBe(true);
    expect(fake.requestsTo('/v1/rerank').length).toBeGreaterThan(0);

    // citation 1 comes right after the token that closed "[1]", citation 2 right after "[2]"
    const names = events.map((e) => (e.event === 'token' ? e.data.text : e.event));
    expect(names.indexOf('citation')).toBe(names.indexOf(']') + 1);
    expect(names[names.indexOf('[2]') + 1]).toBe('citation');
    const cited = events.filter((e) => e.event === 'citation').map((e) => e.data);
    expect(cited.map((c) => c.n)).toEqual([1, 2]);
    expect(cited[0]).toEqual({ n: 1, chunkId: sources[0].chunkId, path: sources[0].path, startLine: sources[0].startLine, endLine: sources[0].endLine });

    // the citation points at the lines that hold the answer
    const file = (await fs.readFile(path.join(SAMPLE_REPO, cited[0].path), 'utf8')).split('\n');
    expect(file.slice(cited[0].startLine - 1, cited[0].endLine).join('\n')).toContain('def compute_interest');

    const done = events.at(-1)!.data;
    expect(done.answer).toBe(REPLY.join(''));
    expect(done.citations).toEqual(cited);
    expect(done.timingsMs).toEqual(expect.objectContaining({ retrieval: expect.any(Number), rerank: expect.any(Number), prompt: expect.any(Number), ttft: expect.any(Number), total: expect.any(Number) }));

    const polled = await getJson(`${urlB}${resultUrl}`);
    expect(polled).toMatchObject({ answerId, state: 'completed', answer: done.answer, citations: done.citations, timingsMs: done.timingsMs });

    // nothing after the last event: 204 tells an EventSource to stop reconnecting
    const after = await fetch(`${stack.url}${eventsUrl}`, { headers: { 'last-event-id': String(events.at(-1)!.id) } });
    expect(after.status).toBe(204);
    // past the end of a finished answer is the same: nothing more will come (docs/api.md says so)
    const beyond = await fetch(`${stack.url}${eventsUrl}`, { headers: { 'last-event-id': String(Number(events.at(-1)!.id) + 5) } });
    expect(beyond.status).toBe(204);
  });

  it('serves the same live answer from a second API process, and resumes a client there with Last-Event-ID', async () => {
    chat.behaviour.tokenDelayMs = 25;
    try {
      const { answerId, eventsUrl } = (await ask({ repo: 'sample', question: QUESTION })).body;
      const [onA, onB, partA] = await Promise.all([
        readEvents(`${stack.url}${eventsUrl}`),
        readEvents(`${urlB}${eventsUrl}`),
        readEvents(`${stack.url}${eventsUrl}`, { until: (ev) => ev.event === 'token' && ev.data.text === 'by ' }),
      ]);
      expect(partA.disconnected).toBe(true);
      const rest = await readEvents(`${urlB}${eventsUrl}`, { lastEventId: partA.events.at(-1)!.id });
      const ids = (evs: ReceivedEvent[]) => evs.map((e) => e.id);
      expect(ids(onB.events)).toEqual(ids(onA.events));
      expect(onB.events.map((e) => e.data)).toEqual(onA.events.map((e) => e.data));
      expect([...ids(partA.events), ...ids(rest.events)]).toEqual(ids(onA.events));
      expect(tokens([...partA.events, ...rest.events])).toBe(REPLY.join(''));
      // two other clients stayed: the one that left did not cancel anything
      const result = await getJson(`${stack.url}/v1/answers/${answerId}`);
      expect(result.state).toBe('completed');
    } finally {
      chat.behaviour.tokenDelayMs = 0;
    }
  });

  it('DELETE /v1/answers/:id cancels generation: the model connection is closed and the stream ends with an error', async () => {
    chat.behaviour.reply = Array.from({ length: 400 }, (_, i) => `w${i} `);
    chat.behaviour.tokenDelayMs = 20;
    try {
      const { answerId, eventsUrl } = (await ask({ repo: 'sample', question: QUESTION })).body;
      let deleted: Promise<Response> | null = null;
      const { events } = await readEvents(`${urlB}${eventsUrl}`, {
        onEvent: (ev) => {
          if (ev.event === 'token' && !deleted) deleted = fetch(`${stack.url}/v1/answers/${answerId}`, { method: 'DELETE' });
        },
      });
      const del = await deleted!;
      expect(del.status).toBe(202);
      expect(await del.json()).toEqual({ answerId, state: 'cancelling' });
      const last = events.at(-1)!;
      expect(last.event).toBe('error');
      expect(last.data).toMatchObject({ status: 409, type: expect.stringContaining('answer-cancelled') });
      const stream = chat.streams.at(-1)!;
      await stream.ended;
      expect(stream.closedByClient).toBe(true);
      expect(stream.piecesSent).toBeLessThan(400);
      const result = await getJson(`${stack.url}/v1/answers/${answerId}`);
      expect(result).toMatchObject({ state: 'cancelled', error: { status: 409 } });
      expect(result.answer).toBe(tokens(events));
      const again = await fetch(`${stack.url}/v1/answers/${answerId}`, { method: 'DELETE' });
      expect(again.status).toBe(409);
    } finally {
      chat.behaviour.reply = REPLY;
      chat.behaviour.tokenDelayMs = 0;
    }
  });

  it('cancels an answer when its only client goes away and does not come back within the grace period', async () => {
    chat.behaviour.reply = Array.from({ length: 400 }, (_, i) => `w${i} `);
    chat.behaviour.tokenDelayMs = 20;
    try {
      const { answerId, eventsUrl } = (await ask({ repo: 'sample', question: QUESTION })).body;
      const gone = await readEvents(`${stack.url}${eventsUrl}`, { until: (ev) => ev.event === 'token' });
      expect(gone.disconnected).toBe(true);
      const stream = chat.streams.at(-1)!;
      await stream.ended;
      expect(stream.closedByClient).toBe(true);
      let state = '';
      for (let i = 0; i < 200 && state !== 'cancelled'; i++) {
        state = (await getJson(`${stack.url}/v1/answers/${answerId}`)).state;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(state).toBe('cancelled');
    } finally {
      chat.behaviour.reply = REPLY;
      chat.behaviour.tokenDelayMs = 0;
    }
  });

  it('answers extractively, through the same stream, when the chat model fails before its first token', async () => {
    fake.fault({ path: '/v1/chat/completions', status: 500, body: { error: { message: 'CUDA error: device lost' } } });
    const { eventsUrl } = (await ask({ repo: 'sample', question: QUESTION })).body;
    const { events } = await readEvents(`${stack.url}${eventsUrl}`);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.answer).toMatch(/^The language model could not answer/);
    // the text cites the same range as the citation (the Sources list)
    const c1 = done.data.citations[0];
    expect(c1).toMatchObject({ n: 1, path: 'bank/account.py' });
    expect(done.data.answer).toContain(`[1] bank/account.py:${c1.startLine}-${c1.endLine}\n`);
  });

  it('remembers a session\'s repo in Redis, so a later question through another API process may leave it out', async () => {
    const session = `s-${Date.now()}`;
    const first = await ask({ repo: 'sample', question: 'where is the rate limiter?', filters: { languages: ['typescript'] } }, { 'x-session-id': session });
    expect(first.status).toBe(202);
    const second = await ask({ question: 'how is the config parsed?' }, { 'x-session-id': session }, urlB);
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ repo: 'sample', sessionId: session });
    const { events } = await readEvents(`${urlB}${second.body.eventsUrl}`);
    // the remembered language filter applies too
    expect(events[0].data.chunks.length).toBeGreaterThan(0);
    expect(events[0].data.chunks.every((c: { language: string }) => c.language === 'typescript')).toBe(true);
    const noScope = await ask({ question: 'q' }, { 'x-session-id': `fresh-${Date.now()}` });
    expect(noScope.status).toBe(400);
  });

  it('answers bad requests with problem documents', async () => {
    const unknownRepo = await ask({ repo: 'nope', question: 'q' });
    expect(unknownRepo.status).toBe(404);
    expect(unknownRepo.contentType).toContain('application/problem+json');
    expect(unknownRepo.body).toMatchObject({ status: 404, type: expect.stringContaining('repo-not-indexed') });
    for (const body of [{ repo: 'sample' }, { repo: 'sample', question: '  ' }, { repo: 'sample', question: 'q', k: 0 }, { repo: 'sample', question: 'q', extra: 1 }, { repo: '../etc', question: 'q' }]) {
      const r = await ask(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.type).toContain('invalid-body');
    }
    expect((await ask({ repo: 'sample', question: 'q' }, { 'x-session-id': 'bad id!' })).status).toBe(400);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      for (const [method, suffix] of [['GET', ''], ['GET', '/events'], ['DELETE', '']] as const) {
        const r = await fetch(`${urlB}/v1/answers/${id}${suffix}`, { method });
        expect(r.status, `${method} ${suffix} ${id}`).toBe(404);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    const { eventsUrl } = (await ask({ repo: 'sample', question: QUESTION })).body;
    const bad = await fetch(`${stack.url}${eventsUrl}`, { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
  });

  it('appends one AnswerTrace row per answer to a Parquet dataset under DATA_DIR', async () => {
    const dir = path.join(stack.dataDir, 'traces', 'answers');
    // the writer flushes every 5 s; a loaded machine can take a while longer
    const deadline = Date.now() + 30_000;
    let files: string[] = [];
    while (Date.now() < deadline) {
      files = (await fs.readdir(dir, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.parquet'));
      if (files.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => /^date=\d{4}-\d{2}-\d{2}\/part-/.test(f))).toBe(true);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const r = await conn.runAndReadAll(
        `SELECT trace_id, state, repo, query, generator, model, timings_ms['retrieval'] AS retrieval_ms, ttft_ms, prompt_chunk_ids, cited_chunk_ids, fallbacks, channel_top_ids
         FROM read_parquet($1, hive_partitioning = true) ORDER BY ended_at`,
        [path.join(dir, '**', '*.parquet')],
      );
      const rows = r.getRowObjectsJS() as { state: string; retrieval_ms: number; prompt_chunk_ids: string[]; cited_chunk_ids: string[]; fallbacks: string[] }[];
      expect(rows.length).toBeGreaterThan(0);
      const first = rows[0];
      expect(first).toMatchObject({ state: 'completed', repo: 'sample', query: QUESTION, generator: 'llm', model: 'chat-model' });
      expect(first.retrieval_ms).toBeGreaterThan(0);
      expect(first.prompt_chunk_ids.length).toBeGreaterThan(0);
      expect(first.cited_chunk_ids).toHaveLength(2);
      expect(rows.some((row) => row.state === 'cancelled')).toBe(true);
      expect(rows.some((row) => row.fallbacks.some((f: string) => f.includes('extractive')))).toBe(true);
    } finally {
      conn.disconnectSync();
      db.closeSync();
    }
  });
});
