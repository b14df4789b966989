import type { CodeintelError, ErrorKind } from '../errors/codeintelError.js';

/**
 * How an answer failed, as stored with its events and its record in Redis.
 * Plain domain data: the API shows it as an RFC 9457 problem document.
 */
export interface AnswerFailure {
  code: string;
  kind: ErrorKind;
  detail: string;
  [extension: string]: unknown;
}

export function answerFailure(err: CodeintelError): AnswerFailure {
  return { ...err.details, code: err.code, kind: err.kind, detail: err.message };
}

export const failure = (kind: ErrorKind, code: string, detail: string, extensions: Record<string, unknown> = {}): AnswerFailure => ({
  ...extensions,
  code,
  kind,
  detail,
});

export const CANCELLED = (detail = 'the answer was cancelled (DELETE /v1/answers/:id, or its last client went away)') =>
  failure('cancelled', 'answer-cancelled', detail);
