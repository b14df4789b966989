import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { dirSize } from './dirSize.js';
import { IntakeError } from '../errors/intakeError.js';
import { GitError } from '../errors/gitError.js';
import { runGit } from './git.js';
import { validateGitUrl } from './gitUrl.js';
import { checkGitHost, type GitHostPolicy, type ResolveHost } from './gitHost.js';
import { describeCloneFailure } from './cloneFailure.js';
import { validateRef } from './ref.js';
import { isInside } from './safePath.js';

/**
 * True when `input` should be treated as something to clone rather than a local path:
 * anything with a scheme (`https://`, `ext::`, `file:`) or an scp-like `host:` prefix.
 * Deliberately generous — hostile URLs must land in validateGitUrl and be refused there,
 * not be mistaken for a directory name.
 */
export function isGitUrl(input: string): boolean {
  return /^[^/]*:/.test(input.trim());
}

/** The realpaths of the configured roots that exist. */
export async function realRoots(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    try {
      out.push(await realpath(root));
    } catch {
      // A configured root that does not exist admits nothing.
    }
  }
  return out;
}

/**
 * Resolve a local repository path to its realpath, enforcing the allowed roots.
 * 400 not absolute · 403 outside every root or unreadable · 404 missing · 422 not a directory.
 */
export async function resolveLocalRepo(input: string, opts: { repoRoots: string[] }): Promise<string> {
  if (typeof input !== 'string' || input.trim() === '') throw new IntakeError('bad_request', 'repository path is empty');
  if (input.includes('\0')) throw new IntakeError('bad_request', 'repository path contains a NUL byte');
  if (!path.isAbsolute(input)) throw new IntakeError('bad_request', `repository path must be absolute: ${JSON.stringify(input)}`);

  const roots = opts.repoRoots.length ? await realRoots(opts.repoRoots) : [];
  const outside = (p: string) => opts.repoRoots.length > 0 && !roots.some((r) => isInside(p, r));
  const lexical = path.resolve(input);
  // Refuse paths that are plainly outside before touching the disk, so the API cannot be
  // used to probe which paths exist elsewhere on the host.
  if (outside(lexical) && !opts.repoRoots.some((r) => isInside(lexical, path.resolve(r)))) {
    throw new IntakeError('forbidden', `repository path is outside the allowed roots: ${input}`);
  }

  let real: string;
  try {
    real = await realpath(lexical);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new IntakeError('not_found', `no such directory: ${input}`);
    if (code === 'EACCES') throw new IntakeError('forbidden', `repository path is not readable: ${input}`);
    throw new IntakeError('unprocessable', `cannot resolve repository path ${input}: ${(err as Error).message}`);
  }
  // Checked again after resolving symlinks: a link inside a root may point anywhere.
  if (outside(real)) throw new IntakeError('forbidden', `repository path is outside the allowed roots: ${input}`);
  if (!(await stat(real)).isDirectory()) throw new IntakeError('unprocessable', `not a directory: ${input}`);
  try {
    await access(real, constants.R_OK | constants.X_OK);
  } catch {
    throw new IntakeError('forbidden', `repository directory is not readable: ${input}`);
  }
  return real;
}

export interface CloneOptions {
  depth: number;
  maxBytes: number;
  timeoutMs: number;
  ref?: string;
  /** How often to check the size of the objects received so far (default 1000 ms). */
  watchIntervalMs?: number;
  /** Which hosts may be reached; default: public addresses only. */
  hosts?: GitHostPolicy;
  /** DNS lookup (tests inject one). */
  resolveHost?: ResolveHost;
}

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/**
 * Shallow-clone an https/ssh URL into `destDir` (which must not exist or be empty).
 * Never runs a shell, never waits for credentials, refuses ext:: and file:// transports.
 * git writes into a sibling `<destDir>.partial-<random>` that is renamed to `destDir` only
 * when the clone is complete, so `destDir` existing means a whole clone; a partial one left
 * by a killed process is removed by the next attempt. On any failure the partial clone is
 * removed; clone problems surface as 422.
 */
export async function cloneGitRepo(url: string, destDir: string, opts: CloneOptions): Promise<void> {
  validateGitUrl(url);
  if (opts.ref !== undefined) validateRef(opts.ref);
  if (!Number.isInteger(opts.depth) || opts.depth < 1) throw new RangeError('depth must be a positive integer');
  if (!path.isAbsolute(destDir)) throw new RangeError('destDir must be absolute');
  if (!(await isMissingOrEmpty(destDir))) throw new Error(`clone destination is not empty: ${destDir}`);
  // Before any connection: refuse loopback, link-local, private and unique-local targets.
  const target = await checkGitHost(url, opts.hosts ?? { allowHosts: [] }, opts.resolveHost);
  await mkdir(path.dirname(destDir), { recursive: true });
  await removePartialClones(destDir);
  const partial = `${destDir}${PARTIAL}${randomBytes(4).toString('hex')}`;

  const args = [
    // Global -c (before the subcommand) so the policy binds the transport, not just the new repo's config.
    '-c', 'protocol.ext.allow=never',
    '-c', 'protocol.file.allow=never',
    '-c', 'core.fsmonitor=false',
    // A redirect could lead to an address the host check would have refused.
    '-c', 'http.followRedirects=false',
    // Connect to the addresses just checked, not to whatever a second DNS answer says (https only;
    // ssh resolves on its own).
    ...pinnedResolve(target),
    'clone',
    '--depth', String(opts.depth),
    '--single-branch',
    ...(opts.ref ? ['--branch', opts.ref] : []),
    '--no-tags',
    '-c', 'protocol.ext.allow=never',
    '-c', 'protocol.file.allow=never',
    '--',
    url,
    partial,
  ];

  // Packs arrive before checkout; stop git early when even they exceed the limit.
  const tooBig = new AbortController();
  const watcher = setInterval(() => {
    void dirSize(partial, opts.maxBytes).then((n) => {
      if (n > opts.maxBytes) tooBig.abort();
    });
  }, opts.watchIntervalMs ?? 1000);
  const limitError = () => new IntakeError('unprocessable', `repository is larger than the ${formatBytes(opts.maxBytes)} limit`);

  try {
    await runGit(args, { timeoutMs: opts.timeoutMs, signal: tooBig.signal });
    clearInterval(watcher);
    if ((await dirSize(partial, opts.maxBytes)) > opts.maxBytes) throw limitError();
    // atomic: destDir appears whole or not at all (rename replaces an empty directory)
    await rename(partial, destDir);
  } catch (err) {
    clearInterval(watcher);
    await rm(partial, { recursive: true, force: true });
    if (err instanceof IntakeError) throw err;
    if (tooBig.signal.aborted) throw limitError();
    if (err instanceof GitError) {
      // git's stderr may carry what a probed service answered; the job error gets a category only
      const why = err.timedOut ? `clone timed out after ${Math.round(opts.timeoutMs / 1000)} s` : describeCloneFailure(err.stderr);
      throw new IntakeError('unprocessable', `could not clone ${url}: ${why}`, { cause: err });
    }
    throw err;
  }
}

function pinnedResolve(target: Awaited<ReturnType<typeof checkGitHost>>): string[] {
  if (target.scheme !== 'https' || target.addresses.length === 0 || target.addresses[0] === target.host) return [];
  const addrs = target.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',');
  return ['-c', `http.curloptResolve=${target.host}:${target.port}:${addrs}`];
}

const PARTIAL = '.partial-';

/** Remove what killed clone attempts into `destDir` left behind. */
async function removePartialClones(destDir: string): Promise<void> {
  const base = path.basename(destDir) + PARTIAL;
  const names = await readdir(path.dirname(destDir)).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(base)).map((n) => rm(path.join(path.dirname(destDir), n), { recursive: true, force: true })));
}

/** The run id a directory under DATA_DIR/clones belongs to (`<runId>` or `<runId>.partial-<random>`). */
export const cloneDirRunId = (name: string): string => {
  const at = name.indexOf(PARTIAL);
  return at < 0 ? name : name.slice(0, at);
};

const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : `${n} bytes`);
