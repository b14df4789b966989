import type { AnswerFailure } from '../answer/failure.js';
import type { CodeintelError, ErrorKind } from '../errors/codeintelError.js';
import { problem, type Problem } from './problem.js';

/** The one place a domain error kind becomes an HTTP status. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  unprocessable: 422,
  cancelled: 409,
  upstream: 502,
  unavailable: 503,
  internal: 500,
};

/** A domain error as an RFC 9457 problem document: its code is the type slug, its details the extensions. */
export function problemFromError(err: CodeintelError): Problem {
  return problem(STATUS_OF_KIND[err.kind], err.code, err.message, err.details);
}

/** How an answer failed (stored with its events), as the problem document clients see. */
export function problemFromFailure(f: AnswerFailure): Problem {
  const { code, kind, detail, ...extensions } = f;
  return problem(STATUS_OF_KIND[kind] ?? 500, code, detail, extensions);
}
