import { IntakeError } from '../errors/intakeError.js';
import { runGit } from './git.js';
import { validateRef } from './ref.js';

// A repo's own config could name an fsmonitor hook; listing files must never run it.
const SAFE = ['-c', 'core.fsmonitor=false'];

/** True when `dir` is inside a git work tree that git is willing to read (safe.directory etc.). */
export async function isGitWorkTree(dir: string): Promise<boolean> {
  try {
    const { stdout } = await runGit(['-C', dir, 'rev-parse', '--is-inside-work-tree'], { timeoutMs: 10_000 });
    return stdout.toString().trim() === 'true';
  } catch {
    return false;
  }
}

/** Tracked plus untracked-but-not-ignored paths under `dir`, relative to it. */
export async function listWorkTreePaths(dir: string): Promise<string[]> {
  const { stdout } = await runGit(['-C', dir, ...SAFE, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    timeoutMs: 120_000,
  });
  // Conflicted files appear once per stage.
  return [...new Set(stdout.toString('utf8').split('\0').filter(Boolean))].sort();
}

/** The commit a caller-supplied ref names; 404 when git does not know it. */
export async function resolveCommit(dir: string, ref: string): Promise<string> {
  validateRef(ref);
  try {
    const { stdout } = await runGit(['-C', dir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], {
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
export async function listTreeEntries(dir: string, commit: string): Promise<TreeEntry[]> {
  const { stdout } = await runGit(['-C', dir, 'ls-tree', '-r', '-z', '-l', commit], { timeoutMs: 120_000 });
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
