import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { IntakeError } from '../errors/intakeError.js';
import { gitEnv } from './git.js';
import { isInside } from './safePath.js';

/**
 * Where git must look for one repository, fixed before git runs: git's own discovery would
 * follow a `.git` gitfile, a symlinked `.git`, `commondir` or `objects/info/alternates`
 * anywhere on the host, and in ref mode the content then comes from that other repository.
 */
export interface PinnedGitRepo {
  /** The directory being indexed (git runs here, so paths come back relative to it). */
  cwd: string;
  /** The work tree's top level (the directory holding `.git`). */
  workTree: string;
  /** The realpath of the git directory. */
  gitDir: string;
  /** Environment with GIT_DIR / GIT_WORK_TREE pinned and discovery switched off. */
  env: NodeJS.ProcessEnv;
}

export interface LocateOptions {
  /**
   * Where the git metadata behind the objects may live (realpaths). Empty: only inside
   * the work tree's top level. Checked only when `checkObjects` is set.
   */
  containWithin?: string[];
  /** Refuse gitfiles, symlinked .git, commondir and alternates leading outside `containWithin` (ref mode). */
  checkObjects?: boolean;
}

const refuse = (why: string) => new IntakeError('forbidden', `refusing to read this git repository: ${why}`);

async function lstatOrUndefined(p: string) {
  try {
    return await lstat(p);
  } catch {
    return undefined;
  }
}

async function realOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch {
    return undefined;
  }
}

/** The `.git` entry at `dir`, resolved: a directory, a symlink to one, or a gitfile naming one. */
async function gitDirAt(dir: string): Promise<{ gitDir: string; redirected: boolean } | undefined> {
  const entry = path.join(dir, '.git');
  const st = await lstatOrUndefined(entry);
  if (!st) return undefined;
  if (st.isDirectory()) return { gitDir: (await realOrUndefined(entry)) ?? entry, redirected: false };
  if (st.isSymbolicLink()) {
    const real = await realOrUndefined(entry);
    return real ? { gitDir: real, redirected: true } : undefined;
  }
  if (st.isFile()) {
    const text = await readFile(entry, 'utf8').catch(() => '');
    const m = /^gitdir: (.+)$/m.exec(text);
    if (!m) return undefined;
    const real = await realOrUndefined(path.resolve(dir, m[1].trim()));
    return real ? { gitDir: real, redirected: true } : undefined;
  }
  return undefined;
}

/**
 * Every object directory git would read for `gitDir`: its (common) objects directory and
 * the alternates named there, recursively (git itself stops at depth 5).
 */
async function objectDirectories(commonDir: string): Promise<string[]> {
  const seen: string[] = [];
  const visit = async (objects: string, depth: number): Promise<void> => {
    const real = await realOrUndefined(objects);
    if (!real || seen.includes(real) || depth > 5) return;
    seen.push(real);
    for (const sub of ['pack', 'info']) {
      const r = await realOrUndefined(path.join(real, sub));
      if (r) seen.push(r);
    }
    const alternates = await readFile(path.join(real, 'info', 'alternates'), 'utf8').catch(() => '');
    for (const line of alternates.split('\n').map((l) => l.trim())) {
      if (!line || line.startsWith('#')) continue;
      // an unreadable or quoted entry is refused outright rather than interpreted
      if (line.startsWith('"')) throw refuse('objects/info/alternates holds a quoted path');
      const target = path.resolve(real, line);
      const r = await realOrUndefined(target);
      seen.push(r ?? target);
      if (r) await visit(r, depth + 1);
    }
  };
  await visit(path.join(commonDir, 'objects'), 0);
  return seen;
}

/**
 * Find the repository holding `root` (itself a realpath) the way git would — the nearest
 * `.git` at or above it — but never above a `containWithin` root, and pin it so git does
 * no discovery of its own. Undefined when `root` is not in a git work tree.
 */
export async function locateGitRepo(root: string, opts: LocateOptions = {}): Promise<PinnedGitRepo | undefined> {
  const ceilings = opts.containWithin ?? [];
  let found: { workTree: string; gitDir: string; redirected: boolean } | undefined;
  for (let dir = root; ; dir = path.dirname(dir)) {
    const at = await gitDirAt(dir);
    if (at) {
      found = { workTree: dir, ...at };
      break;
    }
    // Never look above the configured root that admitted this path, nor past the filesystem root.
    if (ceilings.some((c) => c === dir) || path.dirname(dir) === dir) break;
  }
  if (!found) return undefined;

  if (opts.checkObjects) {
    const allowed = ceilings.length ? ceilings : [found.workTree];
    const outside = (p: string) => !allowed.some((a) => isInside(p, a));
    if (outside(found.gitDir)) {
      throw refuse(found.redirected ? `its .git leads outside the allowed roots (${path.join(found.workTree, '.git')})` : '.git is outside the allowed roots');
    }
    const commonFile = await readFile(path.join(found.gitDir, 'commondir'), 'utf8').catch(() => undefined);
    const commonDir = commonFile ? ((await realOrUndefined(path.resolve(found.gitDir, commonFile.trim()))) ?? path.resolve(found.gitDir, commonFile.trim())) : found.gitDir;
    if (outside(commonDir)) throw refuse('its commondir leads outside the allowed roots');
    for (const objects of await objectDirectories(commonDir)) {
      if (outside(objects)) throw refuse('its object store (objects/ or objects/info/alternates) leads outside the allowed roots');
    }
  }

  const env = gitEnv();
  env.GIT_DIR = found.gitDir;
  env.GIT_WORK_TREE = found.workTree;
  // Belt and braces: even a git that ignored GIT_DIR could not discover a repository above the work tree.
  env.GIT_CEILING_DIRECTORIES = path.dirname(found.workTree);
  return { cwd: root, workTree: found.workTree, gitDir: found.gitDir, env };
}
