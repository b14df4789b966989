/** Repository intake: validate where a repo comes from, fetch it, list and read its files. */
export { IntakeError, isIntakeError, type IntakeErrorCode } from '../errors/intakeError.js';
export { validateGitUrl } from './gitUrl.js';
export { validateRef } from './ref.js';
export { cloneGitRepo, isGitUrl, resolveLocalRepo, type CloneOptions } from './intake.js';
export { detectLanguage } from './language.js';
export {
  openSnapshot,
  type FileListing,
  type RepoFile,
  type RepoSnapshot,
  type SkipReason,
  type SkippedFile,
  type SnapshotOptions,
  type SnapshotSource,
} from './snapshot.js';
