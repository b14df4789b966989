/**
 * What kind of failure an error is, in domain terms. The API maps a kind
 * onto an HTTP status (src/api/problemMapping.ts); jobs map `retryable`
 * onto BullMQ's retry or UnrecoverableError. Nothing below src/api knows HTTP.
 */
export type ErrorKind =
  | 'invalid' // the request or payload is malformed
  | 'forbidden' // the caller may not do this (e.g. a path outside REPO_ROOTS)
  | 'not_found'
  | 'conflict' // the state forbids it now (a run is in progress, the answer already ended)
  | 'unprocessable' // well-formed, but cannot be done (an empty repo)
  | 'gone' // existed, no longer kept
  | 'cancelled'
  | 'unavailable' // a dependency is down or busy: try again later
  | 'upstream' // a dependency answered with a failure
  | 'internal';

/** The base of every domain error: a stable code, a kind, and whether trying again can help. */
export abstract class CodeintelError extends Error {
  abstract readonly kind: ErrorKind;
  /** whether the same operation may succeed later without a change of input */
  abstract readonly retryable: boolean;

  constructor(
    /** a stable slug, e.g. "run-in-progress"; the API uses it as the problem type */
    readonly code: string,
    message: string,
    /** fields a client may act on (e.g. the running jobId) */
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export const isCodeintelError = (err: unknown): err is CodeintelError => err instanceof CodeintelError;
