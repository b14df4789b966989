import { CANCELLED, answerFailure, failure, type AnswerFailure } from './failure.js';
import type { Logger } from '../observability/logger.js';
import type { SearchFilters } from '../contracts/search.js';
import { RepoNotIndexedError } from '../errors/repoNotIndexedError.js';
import { withTimeout } from '../resilience/index.js';
import { type SearchHit, type SearchService } from '../retrieval/searchService.js';
import { createCitationTracker } from './citations.js';
import type { AnswerEventDataMap, Citation } from './events.js';
import type { Generator } from './generator.js';
import { buildPrompt, type PromptChunk } from './prompt.js';
import type { Reranker } from './reranker.js';
import type { AnswerTraceRow, TraceWriter } from './trace.js';

/**
 * The answer orchestrator (seed 001 §F): the one place that owns an answer's
 * budgets, fallbacks and trace.
 *
 *   retrieval  dense + BM25 + SPLADE in parallel, each within RETRIEVAL_BUDGET_MS
 *              (a late channel is dropped, logged and named), RRF, hydration —
 *              all through the search service
 *   rerank     optional, within RERANK_BUDGET_MS; on failure or timeout the fused
 *              order stands (a fallback, recorded)
 *   prompt     deterministic, numbered sources within PROMPT_TOKEN_BUDGET
 *   generate   the chat model streamed token by token, `[n]` citations reported
 *              as they appear; a model that fails before its first token is
 *              replaced by the extractive answer (recorded); abort = cancel
 *   trace      one AnswerTrace row, whatever happened
 * Transport-agnostic: events go to `sink`, the terminal event is the caller's.
 */

export interface AnswerRequest {
  answerId: string;
  repo: string;
  question: string;
  k: number;
  filters?: SearchFilters;
  sessionId?: string;
  /** epoch ms when the API accepted it (queue time is measured from here) */
  enqueuedAt?: number;
}

export interface AnswerSink {
  emit<E extends 'retrieval' | 'token' | 'citation'>(event: E, data: AnswerEventDataMap[E]): Promise<void>;
}

export interface AnswerOutcome {
  state: 'completed' | 'failed' | 'cancelled';
  answer: string;
  citations: Citation[];
  timingsMs: Record<string, number>;
  error?: AnswerFailure;
}

export interface OrchestratorSettings {
  retrievalBudgetMs: number;
  rerankBudgetMs: number;
  promptTokenBudget: number;
  maxTokens: number;
  temperature: number;
  /** candidates fetched for the reranker to reorder (default max(3k, 20)) */
  rerankCandidates?: (k: number) => number;
}

export interface OrchestratorDeps {
  search: Pick<SearchService, 'search'>;
  /** the configured generator: the chat model, or the extractive answer when none is set */
  generator: Generator;
  /** used when there are no sources or the chat model fails before its first token */
  fallbackGenerator: Generator;
  reranker: Reranker | null;
  trace: TraceWriter | null;
  logger: Logger;
  settings: OrchestratorSettings;
}


export function createAnswerOrchestrator(deps: OrchestratorDeps) {
  const s = deps.settings;

  return {
    async run(req: AnswerRequest, sink: AnswerSink, signal: AbortSignal): Promise<AnswerOutcome> {
      const log = deps.logger.child({ answerId: req.answerId, repo: req.repo });
      const t0 = performance.now();
      const startedAt = new Date();
      const timings: Record<string, number> = {};
      if (req.enqueuedAt) timings.queue = Math.max(0, startedAt.getTime() - req.enqueuedAt);
      const fallbacks: string[] = [];
      const dropped: string[] = [];
      let channelTopIds: Record<string, string[]> = {};
      let manifestVersion: number | null = null;
      let chunks: PromptChunk[] = [];
      let answer = '';
      let cited: Citation[] = [];
      let generator = deps.generator;
      let usage: { promptTokens?: number; completionTokens?: number } = {};
      let pieces = 0;
      let ttftMs: number | null = null;
      let genStart = 0;
      let outcome: AnswerOutcome;

      try {
        signal.throwIfAborted();

        // 1. retrieval, each channel in its own budget (the search service drops late ones)
        const candidates = deps.reranker ? Math.min(100, s.rerankCandidates?.(req.k) ?? Math.max(req.k * 3, 20)) : req.k;
        const found = await deps.search.search({
          repo: req.repo,
          query: req.question,
          k: candidates,
          filters: req.filters,
          budgetMs: s.retrievalBudgetMs,
          signal,
        });
        const { total: retrievalTotal, ...stages } = found.timingsMs;
        Object.assign(timings, stages, { retrieval: retrievalTotal });
        manifestVersion = found.manifestVersion;
        channelTopIds = found.channelTopIds;
        for (const d of found.dropped) dropped.push(`${d.channel}: ${d.reason}`);
        signal.throwIfAborted();

        // 2. optional rerank, within its own budget
        let ranked: SearchHit[] = found.hits;
        if (deps.reranker && ranked.length > 1) {
          const tr = performance.now();
          try {
            ranked = await rerank(deps.reranker, req.question, ranked, s.rerankBudgetMs, signal);
          } catch (err) {
            if (signal.aborted) throw err;
            const reason = (err as Error).message;
            fallbacks.push(`rerank skipped: ${reason}`);
            log.warn({ reason }, 'reranker failed or missed its budget; keeping the fused order');
          }
          timings.rerank = ms(performance.now() - tr);
        }
        ranked = ranked.slice(0, req.k);

        // 3. prompt
        const tp = performance.now();
        const prompt = buildPrompt({ repo: req.repo, question: req.question, chunks: ranked, tokenBudget: s.promptTokenBudget });
        chunks = prompt.chunks;
        timings.prompt = ms(performance.now() - tp);
        if (prompt.omitted > 0) log.debug({ omitted: prompt.omitted, budget: s.promptTokenBudget }, 'chunks left out of the prompt (token budget)');
        await sink.emit('retrieval', {
          chunks: chunks.map((c) => ({ ...citationOf(c), language: c.language, score: c.score, channels: c.channels })),
          dropped: found.dropped,
          timingsMs: { ...found.timingsMs, ...(timings.rerank !== undefined ? { rerank: timings.rerank } : {}) },
          manifestVersion: found.manifestVersion,
        });

        // 4. generation, streamed; citations as they appear
        const byN = new Map(chunks.map((c) => [c.n, c]));
        if (chunks.length === 0) generator = deps.fallbackGenerator;
        genStart = performance.now();
        for (;;) {
          const tracker = createCitationTracker(byN.keys());
          try {
            for await (const d of generator.stream({
              question: req.question,
              chunks,
              messages: prompt.messages,
              maxTokens: s.maxTokens,
              temperature: s.temperature,
              signal,
            })) {
              if (d.type === 'usage') usage = { ...usage, ...stripUndefined(d) };
              if (d.type !== 'text' || d.text === '') continue;
              if (ttftMs === null) ttftMs = ms(performance.now() - genStart);
              pieces++;
              answer += d.text;
              await sink.emit('token', { text: d.text });
              for (const n of tracker.push(d.text)) await sink.emit('citation', citationOf(byN.get(n)!));
            }
            cited = tracker.cited().map((n) => citationOf(byN.get(n)!));
            break;
          } catch (err) {
            if (signal.aborted) throw err;
            if (answer === '' && generator !== deps.fallbackGenerator) {
              const reason = (err as Error).message;
              fallbacks.push(`generator ${generator.model} failed before its first token, extractive answer instead: ${reason}`);
              log.warn({ reason, model: generator.model }, 'chat model failed; answering extractively');
              generator = deps.fallbackGenerator;
              continue;
            }
            cited = tracker.cited().map((n) => citationOf(byN.get(n)!));
            throw new GenerationFailed((err as Error).message);
          }
        }
        if (ttftMs !== null) timings.ttft = ttftMs;
        timings.generation = ms(performance.now() - genStart);
        timings.total = ms(performance.now() - t0);
        outcome = { state: 'completed', answer, citations: cited, timingsMs: timings };
      } catch (err) {
        timings.total = ms(performance.now() - t0);
        if (ttftMs !== null) timings.ttft = ttftMs;
        if (genStart) timings.generation = ms(performance.now() - genStart);
        let error: AnswerFailure;
        let state: AnswerOutcome['state'] = 'failed';
        if (signal.aborted) {
          state = 'cancelled';
          error = CANCELLED();
        } else if (err instanceof RepoNotIndexedError) {
          error = answerFailure(err);
        } else if (err instanceof GenerationFailed) {
          error = failure('upstream', 'generator-failed', `the answer stopped part way: ${err.message}`);
        } else {
          log.error({ err }, 'answer failed');
          error = failure('internal', 'answer-failed', `the answer failed: ${(err as Error)?.message ?? String(err)}`);
        }
        outcome = { state, answer, citations: cited, timingsMs: timings, error };
      }

      const genSeconds = timings.generation ? timings.generation / 1000 : 0;
      const tokensOut = usage.completionTokens ?? (pieces || null);
      const row: AnswerTraceRow = {
        traceId: req.answerId,
        sessionId: req.sessionId ?? null,
        repo: req.repo,
        query: req.question,
        k: req.k,
        manifestVersion,
        startedAt,
        endedAt: new Date(),
        state: outcome.state,
        timingsMs: timings,
        channelTopIds,
        promptChunkIds: chunks.map((c) => c.chunkId),
        citedChunkIds: outcome.citations.map((c) => c.chunkId),
        dropped,
        fallbacks,
        generator: generator.kind,
        model: generator.model,
        temperature: s.temperature,
        maxTokens: s.maxTokens,
        tokensIn: usage.promptTokens ?? null,
        tokensOut,
        ttftMs,
        tokensPerS: tokensOut && genSeconds > 0 ? Math.round((tokensOut / genSeconds) * 100) / 100 : null,
        rerankModel: deps.reranker?.model ?? null,
        budgets: { retrievalMs: s.retrievalBudgetMs, rerankMs: s.rerankBudgetMs, promptTokens: s.promptTokenBudget },
        error: outcome.error ? `${outcome.error.code}: ${outcome.error.detail}` : null,
      };
      deps.trace?.append(row);
      log.info({ state: outcome.state, timingsMs: timings, fallbacks, dropped, citations: outcome.citations.length }, 'answer finished');
      return outcome;
    },
  };
}

export type AnswerOrchestrator = ReturnType<typeof createAnswerOrchestrator>;

class GenerationFailed extends Error {}

export function citationOf(c: PromptChunk): Citation {
  return { n: c.n, chunkId: c.chunkId, path: c.path, startLine: c.startLine, endLine: c.endLine };
}

/** Reorder hits by the reranker's scores, within a time budget (a late reranker is aborted). */
async function rerank(reranker: Reranker, query: string, hits: SearchHit[], budgetMs: number, outer: AbortSignal): Promise<SearchHit[]> {
  const docs = hits.map((h) => `${h.path}\n${h.content}`);
  const results = await withTimeout((signal) => reranker.rerank(query, docs, signal), budgetMs, {
    message: `missed its ${budgetMs} ms budget`,
    signal: outer,
  });
  const order = results.map((r) => hits[r.index]);
  const seen = new Set(results.map((r) => r.index));
  // documents the reranker left out keep their fused order, after the scored ones
  hits.forEach((h, i) => seen.has(i) || order.push(h));
  return order;
}

const ms = (v: number) => Math.round(v * 100) / 100;

function stripUndefined(d: { promptTokens?: number; completionTokens?: number }) {
  const out: { promptTokens?: number; completionTokens?: number } = {};
  if (d.promptTokens !== undefined) out.promptTokens = d.promptTokens;
  if (d.completionTokens !== undefined) out.completionTokens = d.completionTokens;
  return out;
}
