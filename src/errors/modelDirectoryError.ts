import { CodeintelError } from './codeintelError.js';

/** A configured model directory lacks the files the model needs. */
export class ModelDirectoryError extends CodeintelError {
  readonly kind = 'unprocessable' as const;
  readonly retryable = false;
  constructor(
    readonly dir: string,
    readonly missing: string[],
    readonly expected: string[],
    role: string,
  ) {
    super('model-directory-incomplete', `${role} model directory ${dir} is missing ${missing.join(', ')} (expected: ${expected.join(', ')})`, { dir, missing });
  }
}
