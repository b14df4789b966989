import { CodeintelError, type ErrorKind } from './codeintelError.js';

/** Why an intake request (a repo path, git URL or ref) was refused. */
export type IntakeErrorCode = 'bad_request' | 'forbidden' | 'not_found' | 'unprocessable';

const KIND: Record<IntakeErrorCode, ErrorKind> = {
  bad_request: 'invalid',
  forbidden: 'forbidden',
  not_found: 'not_found',
  unprocessable: 'unprocessable',
};

export class IntakeError extends CodeintelError {
  readonly kind: ErrorKind;
  readonly retryable = false;

  constructor(
    readonly reason: IntakeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`repo-${reason.replace(/_/g, '-')}`, message, {}, options);
    this.kind = KIND[reason];
  }
}

export const isIntakeError = (err: unknown): err is IntakeError => err instanceof IntakeError;
