import { randomUUID } from 'node:crypto';
import type { AnswerRunPayload } from '../contracts/payloads.js';
import type { SearchFilters } from '../contracts/search.js';
import { RepoNotIndexedError } from '../errors/repoNotIndexedError.js';
import type { ManifestStore } from '../manifest/store.js';
import { enqueue, type JobQueues } from '../queue/producer.js';
import type { AnswerStore } from './store.js';

export interface SubmitAnswerDeps {
  queues: JobQueues<'answer'>;
  manifests: ManifestStore;
  store: AnswerStore;
}

export interface AnswerQuestion {
  repo: string;
  question: string;
  k: number;
  filters?: SearchFilters;
  sessionId?: string;
}

/**
 * Record a question and queue its answer.run: what POST /v1/answers and the
 * MCP `ask` tool both do, so an answer is produced one way only.
 */
export async function submitAnswer(deps: SubmitAnswerDeps, q: AnswerQuestion): Promise<{ answerId: string }> {
  if ((await deps.manifests.currentVersion(q.repo)) === null) throw new RepoNotIndexedError(q.repo);
  const answerId = randomUUID();
  await deps.store.create({ answerId, repo: q.repo, question: q.question, k: q.k, filters: q.filters, sessionId: q.sessionId });
  const payload: AnswerRunPayload = {
    answerId,
    repo: q.repo,
    question: q.question,
    k: q.k,
    ...(q.filters ? { filters: q.filters } : {}),
    ...(q.sessionId ? { sessionId: q.sessionId } : {}),
    requestedAt: Date.now(),
  };
  await enqueue(deps.queues, 'answer.run', payload, { jobId: answerId });
  return { answerId };
}
