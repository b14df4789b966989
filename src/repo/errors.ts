/** Why an intake request was refused; the API maps `status` onto a problem document. */
export type IntakeErrorCode = 'bad_request' | 'forbidden' | 'not_found' | 'unprocessable';

const STATUS: Record<IntakeErrorCode, 400 | 403 | 404 | 422> = {
  bad_request: 400,
  forbidden: 403,
  not_found: 404,
  unprocessable: 422,
};

export class IntakeError extends Error {
  readonly status: 400 | 403 | 404 | 422;

  constructor(
    readonly code: IntakeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IntakeError';
    this.status = STATUS[code];
  }
}

export const isIntakeError = (err: unknown): err is IntakeError => err instanceof IntakeError;
