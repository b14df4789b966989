import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { readCheckedFile } from './safeRead.js';
import path from 'node:path';
import { createBlobReader, type BlobReader } from './catFile.js';
import { IntakeError } from '../errors/intakeError.js';
import { locateGitRepo, type PinnedGitRepo } from './gitDir.js';
import { isGitWorkTree, listTreeEntries, listWorkTreePaths, resolveCommit, type TreeEntry } from './gitFiles.js';
import { detectLanguage } from './language.js';
import { mapLimit } from './pool.js';
import { isCleanRelativePath, resolveInside, type DirRealpaths } from './safePath.js';
import { sniffContent } from './sniff.js';
import { walkDirectory } from './walk.js';

export interface RepoFile {
  /** Relative to the snapshot root, forward slashes. */
  path: string;
  size: number;
  /** sha256 of the raw bytes, hex. */
  hash: string;
  language: string;
  /** Modification time when it was hashed (disk snapshots), for the next listing's stat cache. */
  mtimeMs?: number;
}

export type SkipReason = 'binary' | 'too_large' | 'minified' | 'symlink_escape' | 'unreadable' | 'special_file' | 'changed_during_read';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
}

export interface FileListing {
  files: RepoFile[];
  skipped: SkippedFile[];
}

export interface SnapshotOptions {
  maxFileBytes: number;
  maxLineChars: number;
  /** Read this commit-ish instead of the working tree (requires a git repository). */
  ref?: string;
  /** Files read in parallel while listing (default 32). */
  concurrency?: number;
  /**
   * A stat cache for disk snapshots: what an earlier listing found for a file
   * of this size and mtime, or undefined. A hit is returned without reading
   * the file, so an unchanged repo lists at the cost of its lstat calls.
   */
  knownFile?: (relPath: string, size: number, mtimeMs: number) => RepoFile | undefined;
  /**
   * The roots the repository was admitted under (REPO_ROOTS, realpaths). Git is never
   * searched for above them, and in ref mode the git directory, its commondir and its
   * object alternates must lie inside them (inside the work tree when none are given).
   */
  containWithin?: string[];
}

export type SnapshotSource = 'git-worktree' | 'git-ref' | 'directory';

export interface RepoSnapshot {
  /** realpath of the repository directory. */
  readonly root: string;
  /** Where the file list comes from: `git ls-files`, a commit's tree, or a .gitignore-aware walk. */
  readonly source: SnapshotSource;
  /** The commit being read when `ref` was given. */
  readonly commit?: string;
  /** Candidate files with hash and language, plus the ones left out and why. Contents are not kept. */
  listFiles(): Promise<FileListing>;
  /** UTF-8 text of one file (BOM removed). Throws IntakeError for paths outside the snapshot. */
  read(relPath: string): Promise<string>;
  /** Stop the helper git process, if any. */
  close(): void;
}

type Verdict = { file: RepoFile } | { skip: SkipReason } | undefined;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export const decodeText = (bytes: Uint8Array): string => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
};

function judge(relPath: string, size: number, bytes: Uint8Array, opts: SnapshotOptions): Verdict {
  const verdict = sniffContent(bytes, opts.maxLineChars);
  if (verdict) return { skip: verdict };
  return { file: { path: relPath, size, hash: sha256(bytes), language: detectLanguage(relPath, bytes) } };
}

async function collect(paths: string[], opts: SnapshotOptions, inspect: (p: string) => Promise<Verdict>): Promise<FileListing> {
  const verdicts = await mapLimit(paths, opts.concurrency ?? 32, inspect);
  const listing: FileListing = { files: [], skipped: [] };
  verdicts.forEach((v, i) => {
    if (!v) return;
    if ('file' in v) listing.files.push(v.file);
    else listing.skipped.push({ path: paths[i], reason: v.skip });
  });
  return listing;
}

const badPath = (relPath: string) => new IntakeError('bad_request', `not a repository-relative path: ${JSON.stringify(relPath)}`);
const missing = (relPath: string) => new IntakeError('not_found', `no such file in the repository: ${relPath}`);

/** Files on disk, listed by git (tracked + untracked-not-ignored) or by a .gitignore-aware walk. */
function diskSnapshot(root: string, git: PinnedGitRepo | undefined, opts: SnapshotOptions): RepoSnapshot {
  const source = git ? 'git-worktree' : 'directory';
  const listPaths = () => (git ? listWorkTreePaths(git) : walkDirectory(root));
  // read() serves only what a listing would offer, so ignored files (.env, build output) and .git/ stay private.
  let listed: Promise<Set<string>> | undefined;
  return {
    root,
    source,
    async listFiles() {
      const paths = await listPaths();
      listed = Promise.resolve(new Set(paths));
      const dirs: DirRealpaths = new Map();
      return collect(paths, opts, async (relPath) => {
        const where = await resolveInside(root, relPath, dirs);
        if (where.kind === 'none') return undefined;
        if (where.kind === 'escape') return { skip: 'symlink_escape' };
        if (where.kind === 'unreadable') return { skip: 'unreadable' };
        if (where.size > opts.maxFileBytes) return { skip: 'too_large' };
        const known = opts.knownFile?.(relPath, where.size, where.mtimeMs);
        if (known) return { file: known };
        let bytes: Buffer;
        try {
          // the file the lstat saw, not whatever the path names by now (a symlink, a FIFO, a swapped directory)
          const read = await readCheckedFile(where.abs, where, opts.maxFileBytes);
          if (read.kind === 'special') return { skip: 'special_file' };
          if (read.kind === 'swapped') return { skip: 'changed_during_read' };
          // The file may have grown between lstat and read.
          if (read.kind === 'too_large') return { skip: 'too_large' };
          bytes = read.bytes;
        } catch {
          return { skip: 'unreadable' };
        }
        const verdict = judge(relPath, bytes.length, bytes, opts);
        // the mtime seen before the read: a write during the read changes it, so the next listing re-reads
        return verdict && 'file' in verdict ? { file: { ...verdict.file, mtimeMs: where.mtimeMs } } : verdict;
      });
    },
    async read(relPath) {
      if (!isCleanRelativePath(relPath)) throw badPath(relPath);
      if (!(await (listed ??= listPaths().then((p) => new Set(p)))).has(relPath)) throw missing(relPath);
      const where = await resolveInside(root, relPath);
      if (where.kind === 'escape') throw new IntakeError('forbidden', `${relPath} leads outside the repository`);
      if (where.kind !== 'file') throw missing(relPath);
      if (where.size > opts.maxFileBytes) throw new IntakeError('unprocessable', `${relPath} is larger than ${opts.maxFileBytes} bytes`);
      const read = await readCheckedFile(where.abs, where, opts.maxFileBytes);
      if (read.kind === 'special') throw new IntakeError('unprocessable', `${relPath} is not a regular file`);
      if (read.kind === 'swapped') throw new IntakeError('forbidden', `${relPath} changed while it was opened (a swapped file or directory)`);
      if (read.kind === 'too_large') throw new IntakeError('unprocessable', `${relPath} is larger than ${opts.maxFileBytes} bytes`);
      return decodeText(read.bytes);
    },
    close() {},
  };
}

/** Does a symlink blob (its target text) point outside the repository root? */
function linkEscapes(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target));
  return resolved === '..' || resolved.startsWith('../');
}

/** Files as committed at `commit`: listed with `git ls-tree`, read with one `git cat-file --batch`. */
function refSnapshot(root: string, git: PinnedGitRepo, commit: string, opts: SnapshotOptions): RepoSnapshot {
  const blobs: BlobReader = createBlobReader(git);
  let tree: Promise<Map<string, TreeEntry>> | undefined;
  const entries = () =>
    (tree ??= listTreeEntries(git, commit).then((list) => new Map(list.map((e) => [e.path, e]))));

  return {
    root,
    source: 'git-ref',
    commit,
    async listFiles() {
      const byPath = await entries();
      return collect([...byPath.keys()], opts, async (relPath) => {
        const e = byPath.get(relPath)!;
        if (e.type !== 'blob') return undefined; // submodules
        try {
          if (e.mode === '120000') return linkEscapes(relPath, (await blobs.read(e.oid)).toString('utf8')) ? { skip: 'symlink_escape' } : undefined;
          if (e.size > opts.maxFileBytes) return { skip: 'too_large' };
          return judge(relPath, e.size, await blobs.read(e.oid), opts);
        } catch {
          return { skip: 'unreadable' };
        }
      });
    },
    async read(relPath) {
      if (!isCleanRelativePath(relPath)) throw badPath(relPath);
      const e = (await entries()).get(relPath);
      if (!e || e.type !== 'blob') throw missing(relPath);
      if (e.mode === '120000') throw new IntakeError('forbidden', `${relPath} is a symlink`);
      if (e.size > opts.maxFileBytes) throw new IntakeError('unprocessable', `${relPath} is larger than ${opts.maxFileBytes} bytes`);
      return decodeText(await blobs.read(e.oid));
    },
    close: () => blobs.close(),
  };
}

/**
 * Open a repository directory for listing and reading. Inside a git work tree the file list
 * comes from git; with `ref` the committed content is read instead of the working tree;
 * anywhere else the directory is walked honouring .gitignore files.
 */
export async function openSnapshot(dir: string, opts: SnapshotOptions): Promise<RepoSnapshot> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    throw new IntakeError('not_found', `no such directory: ${dir}`);
  }
  // In ref mode the content comes from git's objects, so where they live is checked;
  // on disk the content is read under `root` and git only supplies the file list.
  const located = await locateGitRepo(root, { containWithin: opts.containWithin, checkObjects: opts.ref !== undefined });
  const git = located && (await isGitWorkTree(located)) ? located : undefined;
  if (opts.ref !== undefined) {
    if (!git) throw new IntakeError('bad_request', `a ref was given but ${dir} is not a git repository`);
    return refSnapshot(root, git, await resolveCommit(git, opts.ref), opts);
  }
  return diskSnapshot(root, git, opts);
}
