import { failure } from '../src/answer/failure.js';
import type { CancelWatcher } from '../src/answer/cancel.js';
import type { AnswerEventPublisher } from '../src/answer/events.js';
import type { AnswerOrchestrator } from '../src/answer/orchestrator.js';
import { finalFields, FINAL_STATES, type AnswerStore } from '../src/answer/store.js';
import type { Logger } from '../src/observability/logger.js';
import type { JobProcessor } from '../src/contracts/jobs.js';

export interface AnswerRunDeps {
  orchestrator: AnswerOrchestrator;
  publisher: AnswerEventPublisher;
  store: AnswerStore;
  cancels: CancelWatcher;
  logger: Logger;
  /** answers_total{state}, answer_ttft_ms, answer_total_ms */
  metrics?: { observe(state: string, timingsMs: Record<string, number>): void };
}

export interface AnswerRunResult {
  state: 'completed' | 'failed' | 'cancelled' | 'interrupted';
  citations: number;
  timingsMs: Record<string, number>;
}

/**
 * answer.run (queue "answer"): claims the answer, runs the orchestrator with
 * a cancel signal, and publishes every event through Redis (stream + pub/sub);
 * the terminal event and the final record are written in one atomic step.
 * A second run of the same answer (a stalled job picked up again) does not
 * answer twice: it closes the stream with an `error` saying so.
 */
export function createAnswerRunProcessor(deps: AnswerRunDeps): JobProcessor<'answer.run'> {
  return async function processAnswerRun(job) {
    const data = job.data;
    const { answerId } = data;
    const log = deps.logger.child({ job: 'answer.run', answerId });

    if (!(await deps.store.claim(answerId))) {
      const record = await deps.store.get(answerId);
      if (record && !FINAL_STATES.has(record.state)) {
        const error = failure('unavailable', 'answer-interrupted', 'the worker running this answer stopped before it finished; ask the question again');
        await deps.publisher.finish(answerId, 'error', error, finalFields({ state: 'failed', answer: record.answer ?? '', citations: [], timingsMs: {}, error }));
      }
      log.warn({ state: record?.state ?? 'expired' }, 'answer was already claimed by an earlier run; not answering twice');
      return { state: 'interrupted', citations: 0, timingsMs: {} };
    }

    const watch = await deps.cancels.watch(answerId);
    try {
      const outcome = await deps.orchestrator.run(
        {
          answerId,
          repo: data.repo,
          question: data.question,
          k: data.k,
          filters: data.filters,
          sessionId: data.sessionId,
          enqueuedAt: data.requestedAt,
        },
        {
          async emit(event, payload) {
            await deps.publisher.publish(answerId, event, payload);
          },
        },
        watch.signal,
      );
      const fields = finalFields(outcome);
      if (outcome.state === 'completed') {
        await deps.publisher.finish(answerId, 'done', { answer: outcome.answer, citations: outcome.citations, timingsMs: outcome.timingsMs }, fields);
      } else {
        await deps.publisher.finish(answerId, 'error', outcome.error!, fields);
      }
      deps.metrics?.observe(outcome.state, outcome.timingsMs);
      return { state: outcome.state, citations: outcome.citations.length, timingsMs: outcome.timingsMs };
    } finally {
      watch.dispose();
    }
  };
}
