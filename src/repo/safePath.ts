import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/** Is `child` (absolute) `parent` itself or somewhere below it? */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/** A repo-relative path as callers must spell it: forward slashes, no `..`, not absolute. */
export function isCleanRelativePath(rel: string): boolean {
  if (!rel || rel.includes('\0') || rel.includes('\\') || rel.startsWith('/')) return false;
  return rel.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

export type Resolved =
  | { kind: 'file'; abs: string; size: number; mtimeMs: number; dev: number; ino: number }
  /** A symlink (at the leaf or in a parent directory) that leads out of the repo. */
  | { kind: 'escape' }
  /** Not something to index: a symlink within the repo, a directory (submodule), a deleted file. */
  | { kind: 'none' }
  | { kind: 'unreadable'; error: string };

/** Memoised realpath of directories, shared across one listing (many files share a directory). */
export type DirRealpaths = Map<string, Promise<string>>;

/**
 * Where `rel` really lives, refusing anything whose realpath leaves `root` (itself a realpath).
 * Symlinks that stay inside are not followed either — their targets are indexed under their own
 * names — so the same content is never indexed twice and links into directories are never walked.
 */
export async function resolveInside(root: string, rel: string, dirs: DirRealpaths = new Map()): Promise<Resolved> {
  const abs = path.join(root, ...rel.split('/'));
  try {
    const st = await lstat(abs);
    let real: string;
    if (st.isSymbolicLink()) {
      real = await realpath(abs);
    } else {
      // The leaf is not a link, so only its directory can redirect; resolve each directory once.
      const dir = path.dirname(abs);
      let realDir = dirs.get(dir);
      if (!realDir) dirs.set(dir, (realDir = realpath(dir)));
      real = path.join(await realDir, path.basename(abs));
    }
    if (!isInside(real, root)) return { kind: 'escape' };
    if (st.isSymbolicLink() || !st.isFile()) return { kind: 'none' };
    return { kind: 'file', abs: real, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A dangling link or a tracked file deleted from the work tree: nothing to read.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return { kind: 'none' };
    return { kind: 'unreadable', error: (err as Error).message };
  }
}
