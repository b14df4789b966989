import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswerEventDataMap } from '../../src/answer/events.js';
import { createExtractiveGenerator } from '../../src/answer/generatorExtractive.js';
import { createAnswerOrchestrator, type AnswerSink } from '../../src/answer/orchestrator.js';
import type { Reranker } from '../../src/answer/reranker.js';
import type { AnswerTraceRow } from '../../src/answer/trace.js';
import type { Embedder } from '../../src/embedding/port.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createSearchService } from '../../src/retrieval/searchService.js';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * The orchestrator over a real index (DuckDB BM25 + FAISS via the search
 * service): budgets drop what is late, fallbacks keep the answer coming, and
 * the trace says what happened.
 */

type Emitted = { event: string; data: unknown };

describe('answer orchestrator: budgets and fallbacks', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ roles: ['index', 'gpu', 'sink'] });
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    expect((await waitForIndexJob(stack.url, submit.body.jobId)).state).toBe('completed');
  });
  afterAll(async () => stack?.close());

  const sink = (into: Emitted[]): AnswerSink => ({
    async emit(event, data) {
      into.push({ event, data });
    },
  });

  async function orchestrator(opts: { embedDelayMs?: number; reranker?: Reranker | null; retrievalBudgetMs?: number }) {
    const rt = stack.server.runtime;
    const real = await rt.embedder();
    const slow: Embedder = {
      ...real,
      contract: real.contract,
      embedDocuments: (t, s) => real.embedDocuments(t, s),
      async embedQuery(text, signal) {
        await new Promise((r) => setTimeout(r, opts.embedDelayMs ?? 0));
        return real.embedQuery(text, signal);
      },
    };
    const traces: AnswerTraceRow[] = [];
    const o = createAnswerOrchestrator({
      search: createSearchService({
        readers: await rt.readers(),
        embedder: async () => slow,
        expandQuery: null,
        logger: silentLogger(),
        rrfK: 60,
        defaultBudgetMs: 400,
        // the dense channel at full weight, as a learned model has it, so the default search runs it
        channelWeights: () => ({ bm25: 1, splade: 1, dense: 1 }),
      }),
      generator: createExtractiveGenerator(),
      fallbackGenerator: createExtractiveGenerator(),
      reranker: opts.reranker ?? null,
      trace: { append: (row) => traces.push(row), flush: async () => null, close: async () => {} },
      logger: silentLogger(),
      settings: { retrievalBudgetMs: opts.retrievalBudgetMs ?? 150, rerankBudgetMs: 100, promptTokenBudget: 4000, maxTokens: 256, temperature: 0 },
    });
    return { o, traces };
  }

  const req = { answerId: '11111111-1111-4111-8111-111111111111', repo: 'sample', question: 'compute interest on a bank account balance', k: 4 };

  it('drops a channel that misses its budget, names it, and still answers from the others', async () => {
    const { o, traces } = await orchestrator({ embedDelayMs: 1_000 });
    const events: Emitted[] = [];
    const outcome = await o.run(req, sink(events), new AbortController().signal);
    expect(outcome.state).toBe('completed');
    const retrieval = events[0].data as AnswerEventDataMap['retrieval'];
    expect(events[0].event).toBe('retrieval');
    expect(retrieval.dropped).toEqual([{ channel: 'dense', reason: 'missed its 150 ms budget' }]);
    expect(retrieval.chunks.length).toBeGreaterThan(0);
    for (const c of retrieval.chunks) expect(Object.keys(c.channels)).toEqual(['bm25']);
    expect(outcome.citations[0]).toMatchObject({ n: 1, path: 'bank/account.py' });
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ state: 'completed', dropped: ['dense: missed its 150 ms budget'], generator: 'extractive' });
    expect(Object.keys(traces[0].channelTopIds)).toEqual(['bm25']);
  });

  it('keeps the fused order when the reranker misses its budget, and records the fallback', async () => {
    const hanging: Reranker = {
      model: 'slow-reranker',
      rerank: (_q, _d, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    };
    const { o, traces } = await orchestrator({ reranker: hanging });
    const events: Emitted[] = [];
    const outcome = await o.run(req, sink(events), new AbortController().signal);
    expect(outcome.state).toBe('completed');
    expect(traces[0].fallbacks).toEqual(['rerank skipped: missed its 100 ms budget']);
    expect(traces[0].rerankModel).toBe('slow-reranker');
    const retrieval = events[0].data as AnswerEventDataMap['retrieval'];
    expect(retrieval.chunks).toHaveLength(4);
  });

  it('follows the reranker when it answers in time', async () => {
    // a reranker that prefers the last candidate it is shown
    const reverse: Reranker = { model: 'reverse', rerank: async (_q, docs) => docs.map((_, i) => ({ index: i, score: i })).reverse() };
    const plain = await (await orchestrator({})).o.run(req, sink([]), new AbortController().signal);
    const events: Emitted[] = [];
    await (await orchestrator({ reranker: reverse })).o.run(req, sink(events), new AbortController().signal);
    const reranked = (events[0].data as AnswerEventDataMap['retrieval']).chunks.map((c) => c.chunkId);
    expect(reranked).not.toContain(plain.citations[0]?.chunkId);
  });

  it('reports a cancelled answer, and an unknown repo as a 404 problem, without throwing', async () => {
    const { o, traces } = await orchestrator({});
    const abort = new AbortController();
    abort.abort();
    const cancelled = await o.run(req, sink([]), abort.signal);
    expect(cancelled).toMatchObject({ state: 'cancelled', error: { kind: 'cancelled', code: 'answer-cancelled' } });
    const missing = await o.run({ ...req, repo: 'nope' }, sink([]), new AbortController().signal);
    expect(missing).toMatchObject({ state: 'failed', error: { kind: 'not_found', code: 'repo-not-indexed' } });
    expect(traces.map((t) => t.state)).toEqual(['cancelled', 'failed']);
  });
});
