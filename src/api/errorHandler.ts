import type { NextFunction, Request, Response } from 'express';
import { CodeintelError } from '../errors/codeintelError.js';
import { isRedisUnavailable } from '../queue/connection.js';
import { problem, ProblemError, sendProblem } from './problem.js';
import { problemFromError } from './problemMapping.js';

/** Map anything thrown in a route (or by body parsing) to a problem document; never leak a stack. */
export function problemErrorHandler(log: { error: (o: object, m: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const instance = req.originalUrl;
    if (err instanceof ProblemError) return sendProblem(res, { ...problem(err.status, err.slug, err.message, err.extensions), instance });
    if (err instanceof CodeintelError) {
      // a bound that was reached says when to come back
      if (typeof err.details.retryAfterS === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.details.retryAfterS))));
      return sendProblem(res, { ...problemFromError(err), instance });
    }
    if (isRedisUnavailable(err)) {
      log.error({ err, url: instance }, 'redis unavailable during request');
      res.setHeader('Retry-After', '1');
      return sendProblem(res, { ...problem(503, 'redis-unavailable', 'the queue store (Redis) cannot be reached right now; try again shortly'), instance });
    }
    const e = err as { type?: string; status?: number; statusCode?: number; message?: string; limit?: number; issues?: unknown };
    if (e?.type === 'entity.too.large') {
      return sendProblem(res, { ...problem(413, 'body-too-large', `request body is larger than ${e.limit} bytes`), instance });
    }
    if (e?.type === 'entity.parse.failed') {
      return sendProblem(res, { ...problem(400, 'malformed-json', `request body is not valid JSON: ${e.message}`), instance });
    }
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      return sendProblem(res, { ...problem(415, 'unsupported-encoding', e.message ?? 'unsupported encoding'), instance });
    }
    const status = e?.status ?? e?.statusCode;
    if (status && status >= 400 && status < 500) return sendProblem(res, { ...problem(status, 'bad-request', e.message ?? 'bad request'), instance });
    log.error({ err, url: instance }, 'unhandled error in request');
    sendProblem(res, { ...problem(500, 'internal', 'the server hit an unexpected error; see the server log'), instance });
  };
}
