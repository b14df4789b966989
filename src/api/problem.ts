import type { NextFunction, Request, Response } from 'express';
import { CodeintelError } from '../errors/codeintelError.js';
import { problemFromError } from './problemMapping.js';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** An error that knows its problem document. Throw it from a route. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export function problem(status: number, slug: string, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return { type: `https://codeintel.dev/problems/${slug}`, title: TITLES[status] ?? 'Error', status, detail, ...extensions };
}

export function sendProblem(res: Response, p: Problem): void {
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
}

/** Map anything thrown in a route (or by body parsing) to a problem document; never leak a stack. */
export function problemErrorHandler(log: { error: (o: object, m: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const instance = req.originalUrl;
    if (err instanceof ProblemError) return sendProblem(res, { ...problem(err.status, err.slug, err.message, err.extensions), instance });
    if (err instanceof CodeintelError) return sendProblem(res, { ...problemFromError(err), instance });
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
