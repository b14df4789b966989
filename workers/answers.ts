import type { Router } from 'express';
import { createAnswerRunProcessor } from '../jobs/answerRun.js';
import { answerRoutes } from '../src/api/routes/answers.js';
import type { Config } from '../src/config/index.js';
import { createRedis } from '../src/queue/connection.js';
import type { Runtime } from './runtime.js';
import type { InProcessDeps } from '../src/mcp/inProcessService.js';
import { createCancelWatcher } from '../src/answer/cancel.js';
import { createAnswerEventPublisher } from '../src/answer/events.js';
import type { Generator } from '../src/answer/generator.js';
import { createExtractiveGenerator, MODEL_FAILED_INTRO } from '../src/answer/generatorExtractive.js';
import { createOpenAIChatGenerator } from '../src/answer/generatorOpenAI.js';
import { createAnswerOrchestrator } from '../src/answer/orchestrator.js';
import { createSubscriptionHub } from '../src/answer/pubsub.js';
import { createAnswerRelay } from '../src/answer/relay.js';
import { createVllmReranker, type Reranker } from '../src/answer/reranker.js';
import { createSessionStore } from '../src/answer/session.js';
import { createAnswerStore } from '../src/answer/store.js';
import { createTraceWriter } from '../src/answer/trace.js';

/**
 * Builds the answer feature's two halves from a runtime: the query worker's
 * processor (role "answer") and the API routes. Each half owns one shared
 * Redis subscriber connection for its process and closes what it opened.
 */

/** The chat model when LLM_URL is set, else the extractive answer. */
export function generatorFromConfig(config: Config): Generator {
  const g = config.generation;
  return g.url ? createOpenAIChatGenerator({ url: g.url, model: g.model, apiKey: g.apiKey }) : createExtractiveGenerator();
}

export function rerankerFromConfig(config: Config): Reranker | null {
  const r = config.retrieval;
  return r.rerankUrl ? createVllmReranker({ url: r.rerankUrl, model: r.rerankModel, apiKey: config.generation.apiKey }) : null;
}

export async function createAnswerWorker(rt: Runtime, overrides: { generator?: Generator; reranker?: Reranker | null } = {}) {
  const { config, logger } = rt;
  const log = logger.child({ component: 'answers' });
  const hub = createSubscriptionHub({ connect: () => createRedis(config.redis, 'subscriber'), logger: log });
  const store = createAnswerStore({ redis: rt.redis, prefix: config.redisPrefix, ttlS: config.answers.streamTtlS });
  const trace = createTraceWriter({ db: await rt.duckdb(), dataDir: config.dataDir, logger: log });
  const generator = overrides.generator ?? generatorFromConfig(config);
  const reranker = overrides.reranker !== undefined ? overrides.reranker : rerankerFromConfig(config);
  const orchestrator = createAnswerOrchestrator({
    search: await rt.search(),
    generator,
    fallbackGenerator: createExtractiveGenerator(generator.kind === 'llm' ? { intro: MODEL_FAILED_INTRO } : {}),
    reranker,
    trace,
    logger: log,
    settings: {
      retrievalBudgetMs: config.retrieval.budgetMs,
      rerankBudgetMs: config.retrieval.rerankBudgetMs,
      promptTokenBudget: config.generation.promptTokenBudget,
      maxTokens: config.generation.maxTokens,
      temperature: config.generation.temperature,
    },
  });
  const cancels = createCancelWatcher({ hub, store, prefix: config.redisPrefix, logger: log });
  const processor = createAnswerRunProcessor({
    orchestrator,
    publisher: createAnswerEventPublisher({ redis: rt.redis, prefix: config.redisPrefix, maxLen: config.answers.streamMaxLen, ttlS: config.answers.streamTtlS }),
    store,
    cancels,
    logger: log,
    metrics: rt.metrics.answers,
  });
  log.info({ generator: `${generator.kind}:${generator.model}`, reranker: reranker?.model ?? null }, 'answer worker ready');
  return {
    processor,
    trace,
    async close() {
      await cancels.close();
      await hub.close();
      await trace.close();
    },
  };
}

export function createAnswerApi(rt: Runtime): { router: Router; answers: InProcessDeps['answers']; close(): Promise<void> } {
  const { config, logger } = rt;
  const log = logger.child({ component: 'answers-api' });
  const hub = createSubscriptionHub({ connect: () => createRedis(config.redis, 'subscriber'), logger: log });
  const store = createAnswerStore({ redis: rt.redis, prefix: config.redisPrefix, ttlS: config.answers.streamTtlS });
  const relay = createAnswerRelay({ redis: rt.redis, hub, prefix: config.redisPrefix, logger: log });
  const routes = answerRoutes({
    queues: rt.queues,
    manifests: rt.manifests,
    store,
    relay,
    sessions: createSessionStore({ redis: rt.redis, prefix: config.redisPrefix, ttlS: config.answers.sessionTtlS }),
    logger: log,
    cancelGraceMs: config.answers.cancelGraceMs,
    maxStreams: config.answers.maxStreams,
    streamMaxMs: config.answers.streamMaxMs,
  });
  return {
    router: routes.router,
    // what the MCP ask tool needs to submit and follow an answer the way the routes do
    answers: { queues: rt.queues, manifests: rt.manifests, store, relay },
    async close() {
      await routes.close();
      await hub.close();
    },
  };
}
