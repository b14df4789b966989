import { problemFromFailure } from '../problemMapping.js';
import { OverloadedError } from '../../errors/overloadedError.js';
import type { AnswerFailure } from '../../answer/failure.js';
import type { JobQueues } from '../../queue/producer.js';
import { submitAnswer } from '../../answer/submit.js';
import { RepoNotIndexedError } from '../../errors/repoNotIndexedError.js';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ANSWER_ID_PATTERN } from '../../answer/keys.js';
import type { AnswerRelay } from '../../answer/relay.js';
import { mergeScope, sameScope, SESSION_ID_PATTERN, type SessionStore } from '../../answer/session.js';
import { formatSse } from '../../answer/sse.js';
import { FINAL_STATES, type AnswerStore } from '../../answer/store.js';
import { REPO_NAME_PATTERN } from '../../contracts/names.js';
import { type ManifestStore } from '../../manifest/store.js';
import type { Logger } from '../../observability/logger.js';
import { problem, ProblemError } from '../problem.js';
import { pathGlobsSchema } from '../pathGlobSchema.js';
import { parseBody } from '../validate.js';

/**
 * The answer routes of API.md:
 *   POST   /v1/answers             202 {answerId, eventsUrl, resultUrl}; the question runs on the "answer" queue
 *   GET    /v1/answers/:id/events  SSE relay of the answer's events, resumable with Last-Event-ID
 *   GET    /v1/answers/:id         the answer's record (for pollers)
 *   DELETE /v1/answers/:id         cancel
 *
 * Session scope: send `X-Session-ID` (or `session` in the body) and the repo
 * and filters you name are remembered for that session (in Redis, so any API
 * process knows them); later questions in the session may leave them out.
 *
 * When does a client going away cancel the answer? When the last SSE client
 * of that answer (counted across every API process) disconnects before the
 * answer ended, and no client attaches again within `cancelGraceMs`. So a
 * client that reconnects with Last-Event-ID in time loses nothing, a
 * second viewer keeps the answer alive, and a client that only polls
 * GET /v1/answers/:id (never opens the stream) never cancels anything.
 */

const filtersSchema = z
  .object({
    paths: pathGlobsSchema.optional(),
    languages: z.array(z.string().min(1).max(50)).max(50).optional(),
  })
  .strict();

export const answerBody = z
  .object({
    repo: z.string().regex(REPO_NAME_PATTERN, 'must be an indexed repo name (letters, digits, ".", "_", "-")').optional(),
    question: z.string().trim().min(1, 'must not be empty').max(4000),
    k: z.number().int().min(1).max(50).default(8),
    filters: filtersSchema.optional(),
    session: z.string().regex(SESSION_ID_PATTERN, 'must be 1-128 letters, digits, ".", "_", ":" or "-"').optional(),
  })
  .strict();

export interface AnswerRoutesDeps {
  queues: JobQueues<'answer'>;
  manifests: ManifestStore;
  store: AnswerStore;
  relay: AnswerRelay;
  sessions: SessionStore;
  logger: Logger;
  /** how long a stream may stay without clients before the answer is cancelled */
  cancelGraceMs: number;
  /** SSE comment sent this often so proxies keep the connection open (default 15 s) */
  heartbeatMs?: number;
  /** SSE streams served at once; one more is refused with 503 + Retry-After (default unbounded) */
  maxStreams?: number;
  /** how long one stream stays open; then it ends and an EventSource resumes with Last-Event-ID (default unbounded) */
  streamMaxMs?: number;
}

/** Retry-After of a refused stream: streams end all the time, so a slot frees soon. */
const STREAM_RETRY_AFTER_S = 5;

export function answerRoutes(deps: AnswerRoutesDeps): { router: Router; close(): Promise<void> } {
  const router = Router();
  const timers = new Set<NodeJS.Timeout>();
  /** open SSE responses, so close() can end them (clients then resume elsewhere with Last-Event-ID) */
  const streams = new Map<AbortController, Promise<void>>();
  let closing = false;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  const knownAnswer = async (req: Request) => {
    const id = String(req.params.id);
    const record = ANSWER_ID_PATTERN.test(id) ? await deps.store.get(id) : null;
    if (!record) throw new ProblemError(404, 'answer-not-found', `no answer ${id} (unknown, or expired)`, { answerId: id });
    return record;
  };

  router.post('/v1/answers', async (req, res) => {
    const body = parseBody(answerBody, req.body);
    const header = req.get('x-session-id');
    if (header !== undefined && !SESSION_ID_PATTERN.test(header)) {
      throw new ProblemError(400, 'invalid-session', 'X-Session-ID must be 1-128 letters, digits, ".", "_", ":" or "-"');
    }
    const sessionId = header ?? body.session;
    const saved = sessionId ? await deps.sessions.get(sessionId) : null;
    const scope = mergeScope(saved, { repo: body.repo, filters: body.filters });
    if (!scope.repo) {
      throw new ProblemError(400, 'invalid-body', 'repo: required (or send X-Session-ID of a session that already named one)', {
        errors: [{ field: 'repo', message: 'required' }],
      });
    }
    if ((await deps.manifests.currentVersion(scope.repo)) === null) throw new RepoNotIndexedError(scope.repo);
    if (sessionId) {
      if (sameScope(saved, scope)) await deps.sessions.touch(sessionId);
      else await deps.sessions.set(sessionId, scope);
    }
    const { answerId } = await submitAnswer(deps, { repo: scope.repo, question: body.question, k: body.k, filters: scope.filters, sessionId });
    const resultUrl = `/v1/answers/${answerId}`;
    res
      .status(202)
      .location(resultUrl)
      .json({ answerId, eventsUrl: `${resultUrl}/events`, resultUrl, repo: scope.repo, ...(sessionId ? { sessionId } : {}) });
  });

  router.get('/v1/answers/:id/events', async (req, res) => {
    const record = await knownAnswer(req);
    const id = record.answerId;
    const raw = req.get('last-event-id') ?? (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : undefined);
    let last = 0;
    if (raw !== undefined && raw.trim() !== '') {
      if (!/^\d{1,15}$/.test(raw.trim())) throw new ProblemError(400, 'bad-last-event-id', 'Last-Event-ID must be an event id (a non-negative integer) this stream sent');
      last = Number(raw.trim());
    }
    const produced = await deps.store.lastSeq(id);
    if (FINAL_STATES.has(record.state) && last >= produced) {
      // nothing more will come: 204 tells an EventSource to stop reconnecting
      res.status(204).end();
      return;
    }
    if (last > produced) throw new ProblemError(400, 'bad-last-event-id', `Last-Event-ID ${last} is ahead of this answer's last event (${produced})`);
    if (streams.size >= (deps.maxStreams ?? Infinity)) {
      throw new OverloadedError('too-many-streams', `this server already serves ${streams.size} answer streams (ANSWER_MAX_STREAMS); reconnect shortly or GET /v1/answers/${id}`, STREAM_RETRY_AFTER_S, {
        answerId: id,
      });
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    res.write('retry: 1000\n\n');
    const abort = new AbortController();
    let ended!: () => void;
    streams.set(abort, new Promise<void>((r) => (ended = r)));
    res.on('close', () => abort.abort());
    // a stream never outlives its deadline (an answer that never runs would otherwise be polled forever)
    let pastDeadline = false;
    const deadline = Number.isFinite(deps.streamMaxMs ?? Infinity)
      ? setTimeout(() => {
          pastDeadline = true;
          abort.abort();
        }, deps.streamMaxMs)
      : undefined;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    await deps.store.attachWatcher(id);
    let outcome: Awaited<ReturnType<AnswerRelay['stream']>> | null = null;
    try {
      outcome = await deps.relay.stream(id, { lastEventId: last, signal: abort.signal, write: (ev) => send(res, formatSse({ id: ev.seq, event: ev.event, data: JSON.stringify(ev.event === 'error' ? problemFromFailure(ev.data as AnswerFailure) : ev.data) })) });
      if (outcome.kind === 'expired') {
        const p = problem(410, 'answer-events-expired', `events after ${outcome.lastSeq} are no longer kept; GET /v1/answers/${id} has the answer`);
        res.write(formatSse({ event: 'error', data: JSON.stringify({ ...p, instance: req.originalUrl }) }));
      }
    } catch (err) {
      deps.logger.warn({ answerId: id, err }, 'answer relay failed');
      const p = problem(503, 'answer-relay-failed', `the event stream broke: ${(err as Error).message}; reconnect with Last-Event-ID`);
      if (!res.writableEnded) res.write(formatSse({ event: 'error', data: JSON.stringify(p) }));
    } finally {
      clearInterval(heartbeat);
      clearTimeout(deadline);
      streams.delete(abort);
      if (!res.writableEnded) res.end();
      const remaining = await deps.store.detachWatcher(id).catch(() => 1);
      // a server shutting down, or a stream reaching its deadline, is not a client leaving
      if (outcome?.kind === 'aborted' && remaining <= 0 && !closing && !pastDeadline) scheduleCancel(id);
      ended();
    }
  });

  router.get('/v1/answers/:id', async (req, res) => {
    const r = await knownAnswer(req);
    res.json({
      answerId: r.answerId,
      state: r.state,
      repo: r.repo,
      question: r.question,
      createdAt: r.createdAt,
      ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
      ...(r.answer !== undefined ? { answer: r.answer } : {}),
      ...(r.citations ? { citations: r.citations } : {}),
      ...(r.timingsMs ? { timingsMs: r.timingsMs } : {}),
      ...(r.error ? { error: problemFromFailure(r.error) } : {}),
      eventsUrl: `/v1/answers/${r.answerId}/events`,
    });
  });

  router.delete('/v1/answers/:id', async (req, res) => {
    const r = await knownAnswer(req);
    if (FINAL_STATES.has(r.state)) {
      throw new ProblemError(409, 'answer-finished', `answer ${r.answerId} already ended (${r.state})`, { answerId: r.answerId, state: r.state });
    }
    await deps.store.requestCancel(r.answerId);
    deps.logger.info({ answerId: r.answerId }, 'answer cancel requested');
    res.status(202).json({ answerId: r.answerId, state: 'cancelling' });
  });

  function scheduleCancel(id: string) {
    const timer = setTimeout(async () => {
      timers.delete(timer);
      try {
        if ((await deps.store.watchers(id)) > 0) return;
        const r = await deps.store.get(id);
        if (!r || FINAL_STATES.has(r.state)) return;
        await deps.store.requestCancel(id);
        deps.logger.info({ answerId: id }, 'last client left the answer stream; answer cancelled');
      } catch (err) {
        deps.logger.warn({ answerId: id, err }, 'could not cancel an abandoned answer');
      }
    }, deps.cancelGraceMs);
    timer.unref();
    timers.add(timer);
  }

  return {
    router,
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const open = [...streams];
      for (const [abort] of open) abort.abort();
      await Promise.all(open.map(([, done]) => done));
    },
  };
}

/** Write, and wait for the socket to drain when its buffer is full (a slow client slows only itself). */
function send(res: Response, text: string): Promise<void> | void {
  if (res.writableEnded || res.destroyed) return;
  if (res.write(text)) return;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
