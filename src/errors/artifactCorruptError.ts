import { CodeintelError } from './codeintelError.js';

/** A staged artifact was read back but does not match its schema: reading it again cannot help. */
export class ArtifactCorruptError extends CodeintelError {
  readonly kind = 'internal' as const;
  readonly retryable = false;
  constructor(readonly key: string, issues: string) {
    super('artifact-corrupt', `artifact ${key} does not match its schema: ${issues}; start a new run of the repo`, { key });
  }
}
