import { CodeintelError } from './codeintelError.js';

/** Another job (index run or compaction) holds the repo's write lease for too long. */
export class LockTimeoutError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(readonly repo: string, readonly waitedMs: number) {
    super('repo-locked', `repo ${repo} is being written by another job (index run or compaction) for over ${Math.round(waitedMs / 1000)} s; retry later`, { repo });
  }
}
