import { enqueue, type JobQueues } from '../queue/producer.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { IndexRunPayload } from '../contracts/payloads.js';
import { ConflictError } from '../errors/conflictError.js';
import { InvalidInputError } from '../errors/invalidInputError.js';
import { REPO_NAME_PATTERN } from '../contracts/names.js';
import { type ManifestStore } from '../manifest/store.js';
import { validateGitUrl } from '../repo/gitUrl.js';
import { checkGitHost, type GitHostPolicy } from '../repo/gitHost.js';
import { isGitUrl, resolveLocalRepo } from '../repo/intake.js';
import { IntakeError } from '../errors/intakeError.js';
import { validateRef } from '../repo/ref.js';

export interface IndexRequest {
  repo: string;
  name?: string;
  ref?: string;
  full?: boolean;
}

export interface SubmitDeps {
  queues: JobQueues<'index'>;
  manifests: ManifestStore;
  repoRoots: string[];
  dataDir: string;
  /** Which git hosts a clone may reach; checked here for an early 403 and again by the worker before it connects. */
  gitHosts: GitHostPolicy;
}

/** A readable repo name from a path or URL: its last segment, without ".git", made safe. */
export function defaultRepoName(location: string): string {
  const last = location.replace(/[/\\]+$/, '').split(/[/\\:]/).pop() ?? 'repo';
  const cleaned = last.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned || 'repo').slice(0, 100);
}

export const dedupIdForRepo = (repo: string) => `repo-${repo}`;

/**
 * Validate an index request and enqueue its index.run. One active run per
 * repo: BullMQ deduplication keyed by the repo name answers with the run
 * already in flight.
 */
export async function submitIndexJob(deps: SubmitDeps, req: IndexRequest): Promise<{ jobId: string; repo: string }> {
  if (req.ref !== undefined) {
    try {
      validateRef(req.ref);
    } catch (err) {
      if (err instanceof IntakeError) throw new InvalidInputError('invalid-ref', `ref "${req.ref}" is not a valid git ref name: ${err.message}`);
      throw err;
    }
  }
  let source: IndexRunPayload['source'];
  let ownedCloneDir: string | undefined;
  const runId = `${(req.name ?? defaultRepoName(req.repo)).slice(0, 60)}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  // an IntakeError (forbidden, not found, ...) is a domain error the API maps as it is
  if (isGitUrl(req.repo)) {
    const url = validateGitUrl(req.repo);
    await checkGitHost(url, deps.gitHosts);
    ownedCloneDir = path.join(deps.dataDir, 'clones', runId);
    source = { kind: 'git', location: url, root: ownedCloneDir, ref: req.ref };
  } else {
    const root = await resolveLocalRepo(req.repo, { repoRoots: deps.repoRoots });
    source = { kind: 'local', location: req.repo, root, ref: req.ref };
  }
  const name = req.name ?? defaultRepoName(source.kind === 'local' ? source.root : source.location);
  if (!REPO_NAME_PATTERN.test(name)) {
    throw new InvalidInputError('invalid-name', `name "${name}" must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  const existing = await deps.manifests.current(name);
  if (existing && existing.source.root !== source.root && existing.source.location !== source.location) {
    throw new ConflictError(
      'repo-name-taken',
      `the name "${name}" already belongs to ${existing.source.location}; pass another "name" to index ${req.repo}`,
      { repo: name },
    );
  }
  const payload: IndexRunPayload = {
    runId,
    repo: name,
    source,
    full: req.full ?? false,
    requestedAt: new Date().toISOString(),
    step: 'plan',
    ownedCloneDir,
  };
  const job = await enqueue(deps.queues, 'index.run', payload, {
    jobId: runId,
    deduplication: { id: dedupIdForRepo(name) },
  });
  if (job.id !== runId) {
    throw new ConflictError('run-in-progress', `repo "${name}" already has an active index run`, { jobId: job.id, repo: name });
  }
  return { jobId: runId, repo: name };
}
