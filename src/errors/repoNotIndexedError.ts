import { CodeintelError } from './codeintelError.js';

/** A search or answer names a repo with no committed index. */
export class RepoNotIndexedError extends CodeintelError {
  readonly kind = 'not_found' as const;
  readonly retryable = false;
  constructor(readonly repo: string) {
    super('repo-not-indexed', `repo "${repo}" has no committed index; index it first (codeintel index, or POST /v1/index-jobs)`, { repo });
  }
}
