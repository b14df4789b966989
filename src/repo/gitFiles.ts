import { IntakeError } from '../errors/intakeError.js';
import { runGit } from './git.js';
import type { PinnedGitRepo } from './gitDir.js';
import { validateRef } from './ref.js';

// A repo's own config could name an fsmonitor hook; listing files must never run it.
const SAFE = ['-c', 'core.fsmonitor=false'];

/** True when git is willing to read this pinned repository as a work tree (safe.directory etc.). */
export async function isGitWorkTree(repo: PinnedGitRepo): Promise<boolean> {
  try {
    const { stdout } = await runGit(['rev-parse', '--is-inside-work-tree'], { cwd: repo.cwd, env: repo.env, timeoutMs: 10_000 });
    return stdout.toString().trim() === 'true';
  } catch {
    return false;
  }
}

/** Tracked plus untracked-but-not-ignored paths under `dir`, relative to it. */
export async function listWorkTreePaths(repo: PinnedGitRepo): Promise<string[]> {
  const { stdout } = await runGit([...SAFE, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo.cwd,
    env: repo.env,
    timeoutMs: 120_000,
  });
  // Conflicted files appear once per stage.
  return [...new Set(stdout.toString('utf8').split('\0').filter(Boolean))].sort();
}

/** The commit a caller-supplied ref names; 404 when git does not know it. */
export async function resolveCommit(repo: PinnedGitRepo, ref: string): Promise<string> {
  validateRef(ref);
  try {
    const { stdout } = await runGit([...SAFE, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], {
      cwd: repo.cwd,
      env: repo.env,
      timeoutMs: 10_000,
    });
    return stdout.toString().trim();
  } catch {
    throw new IntakeError('not_found', `unknown git ref: ${ref}`);
  }
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
  size: number;
}

/** Every entry of a commit's tree under `dir` (paths relative to `dir`), with blob sizes. */
export async function listTreeEntries(repo: PinnedGitRepo, commit: string): Promise<TreeEntry[]> {
  const { stdout } = await runGit([...SAFE, 'ls-tree', '-r', '-z', '-l', commit], { cwd: repo.cwd, env: repo.env, timeoutMs: 120_000 });
  const entries: TreeEntry[] = [];
  for (const record of stdout.toString('utf8').split('\0')) {
    if (!record) continue;
    // "<mode> <type> <oid> <size padded>\t<path>"
    const tab = record.indexOf('\t');
    const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
    entries.push({ path: record.slice(tab + 1), mode, type: type as TreeEntry['type'], oid, size: size === '-' ? 0 : Number(size) });
  }
  return entries;
}
