import { z } from 'zod';
import { int } from './parsers.js';

/** Which files of a repo are read, and the limits of git clones. */
export const intakeSection = z
  .object({
    MAX_FILE_BYTES: int(1_048_576, 1),
    MAX_LINE_CHARS: int(1000, 80),
    GIT_CLONE_DEPTH: int(1, 1),
    GIT_CLONE_MAX_MB: int(512, 1),
    GIT_CLONE_TIMEOUT_S: int(300, 1),
  })
  .transform((e) => ({
    intake: {
      maxFileBytes: e.MAX_FILE_BYTES,
      maxLineChars: e.MAX_LINE_CHARS,
      cloneDepth: e.GIT_CLONE_DEPTH,
      cloneMaxBytes: e.GIT_CLONE_MAX_MB * 1024 * 1024,
      cloneTimeoutMs: e.GIT_CLONE_TIMEOUT_S * 1000,
    },
  }));
