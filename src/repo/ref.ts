import { IntakeError } from '../errors/intakeError.js';

// Branch names, tags, shas and rev suffixes (HEAD~1, v1^{commit}) — but never an option or a path spec.
const REF_CHARS = /^[A-Za-z0-9._/@{}^~-]+$/;

/** Validate a git ref given by a caller before it reaches a git argv. */
export function validateRef(ref: string): string {
  if (typeof ref !== 'string' || ref.length === 0) throw new IntakeError('bad_request', 'ref must be a non-empty string');
  if (ref.length > 256) throw new IntakeError('bad_request', 'ref is too long (max 256 characters)');
  if (ref.startsWith('-')) throw new IntakeError('bad_request', `ref must not start with "-": ${JSON.stringify(ref)}`);
  if (!REF_CHARS.test(ref) || ref.includes('..') || ref.includes('@{-')) {
    throw new IntakeError('bad_request', `ref contains characters git refs may not use: ${JSON.stringify(ref)}`);
  }
  return ref;
}
