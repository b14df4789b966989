import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors/intakeError.js';
import { openSnapshot, type FileListing, type RepoSnapshot, type SnapshotOptions } from '../../src/repo/snapshot.js';
import { SAMPLE_REPO, commitAll, git, initRepo, makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';

const opts: SnapshotOptions = { maxFileBytes: 1024 * 1024, maxLineChars: 1000 };
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const paths = (l: FileListing) => l.files.map((f) => f.path).sort();
const skipped = (l: FileListing) => Object.fromEntries(l.skipped.map((s) => [s.path, s.reason]));

let tmp: string;
let repo: string;
beforeEach(async () => {
  tmp = await makeTmpDir();
  repo = path.join(tmp, 'repo');
  await mkdir(repo);
});
afterEach(() => removeDir(tmp));

describe('the committed sample repository', () => {
  it('lists its source files with languages, sizes and content hashes', async () => {
    const snap = await openSnapshot(SAMPLE_REPO, opts);
    const { files, skipped } = await snap.listFiles();
    expect(skipped).toEqual([]);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(Object.keys(byPath).sort()).toEqual(['README.md', 'bank/__init__.py', 'bank/account.py', 'src/config.ts', 'src/rateLimiter.ts']);
    expect(byPath['bank/account.py'].language).toBe('python');
    expect(byPath['src/config.ts'].language).toBe('typescript');
    expect(byPath['README.md'].language).toBe('markdown');
    const text = await snap.read('bank/account.py');
    expect(text).toContain('def compute_interest(');
    expect(byPath['bank/account.py'].hash).toBe(sha256(text));
    expect(byPath['bank/account.py'].size).toBe(Buffer.byteLength(text));
  });
});

describe('directory walk (not a git repository)', () => {
  it('honours root and nested .gitignore files and never lists .git/', async () => {
    await writeTree(repo, {
      '.gitignore': '*.log\nbuild/\n!keep.log\n',
      'app.ts': 'export const a = 1;\n',
      'debug.log': 'noise\n',
      'keep.log': 'kept on purpose\n',
      'build/out.js': 'compiled\n',
      'src/build.ts': 'not a build dir, a file\n',
      'sub/.gitignore': 'secret.txt\n/local-only/\n',
      'sub/secret.txt': 'nope\n',
      'sub/code.py': 'x = 1\n',
      'sub/local-only/x.py': 'y = 2\n',
      'sub/deeper/secret.txt': 'nested rule applies below sub/ too\n',
      '.git/config': '[core]\n',
    });
    const snap = await openSnapshot(repo, opts);
    expect(snap.source).toBe('directory');
    expect(paths(await snap.listFiles())).toEqual(['.gitignore', 'app.ts', 'keep.log', 'src/build.ts', 'sub/.gitignore', 'sub/code.py']);
  });

  it('lets a nested .gitignore re-include what the root one ignores', async () => {
    await writeTree(repo, { '.gitignore': '*.txt\n', 'docs/.gitignore': '!*.txt\n', 'docs/notes.txt': 'hi\n', 'top.txt': 'no\n' });
    const listing = await (await openSnapshot(repo, opts)).listFiles();
    expect(paths(listing)).toEqual(['.gitignore', 'docs/.gitignore', 'docs/notes.txt']);
  });
});

describe('symlinks', () => {
  beforeEach(async () => {
    await writeTree(tmp, { 'outside/secret.txt': 'secret\0binary-if-ever-read' });
    await writeTree(repo, { 'a.ts': 'export const a = 1;\n', 'dir/b.ts': 'export const b = 2;\n' });
    await symlink('/etc/passwd', path.join(repo, 'passwd'));
    await symlink(path.join(tmp, 'outside'), path.join(repo, 'outside-dir'));
    await symlink('a.ts', path.join(repo, 'alias.ts')); // inside: indexed under its real name only
    await symlink('dir', path.join(repo, 'dir-alias'));
  });

  const expectEscapesSkipped = async (snapDir: string) => {
    const snap = await openSnapshot(snapDir, opts);
    const listing = await snap.listFiles();
    expect(paths(listing)).toEqual(['a.ts', 'dir/b.ts']);
    expect(skipped(listing)).toEqual({ passwd: 'symlink_escape', 'outside-dir': 'symlink_escape' });
    // Reading through them is refused as well.
    await expect(snap.read('passwd')).rejects.toMatchObject({ reason: 'forbidden', kind: 'forbidden' });
    await expect(snap.read('outside-dir/secret.txt')).rejects.toMatchObject({ reason: 'not_found', kind: 'not_found' });
    return snap;
  };

  it('skips links leading outside the repo and never descends into linked directories (walk)', async () => {
    const snap = await expectEscapesSkipped(repo);
    expect(snap.source).toBe('directory');
  });

  it('does the same for symlinks committed to git', async () => {
    initRepo(repo);
    commitAll(repo);
    const snap = await expectEscapesSkipped(repo);
    expect(snap.source).toBe('git-worktree');
  });

  it('catches a tracked directory replaced by a link to the outside', async () => {
    initRepo(repo);
    commitAll(repo);
    await writeTree(tmp, { 'evil/b.ts': 'export const stolen = true;\n' });
    await rm(path.join(repo, 'dir'), { recursive: true });
    await symlink(path.join(tmp, 'evil'), path.join(repo, 'dir'));
    const snap = await openSnapshot(repo, opts);
    const listing = await snap.listFiles();
    expect(skipped(listing)['dir/b.ts']).toBe('symlink_escape');
    expect(paths(listing)).not.toContain('dir/b.ts');
    await expect(snap.read('dir/b.ts')).rejects.toMatchObject({ kind: 'forbidden' });
  });
});

describe('git work tree', () => {
  it('lists tracked and untracked files through git, leaving out ignored ones', async () => {
    await writeTree(repo, { '.gitignore': '*.log\n', 'tracked.ts': 'export {};\n' });
    initRepo(repo);
    commitAll(repo);
    await writeTree(repo, {
      'untracked.ts': 'export const fresh = 1;\n',
      'ignored.log': 'noise\n',
      'excluded.ts': 'only git knows to skip me\n',
    });
    // .git/info/exclude is honoured by git but invisible to a plain .gitignore walk.
    await writeFile(path.join(repo, '.git/info/exclude'), 'excluded.ts\n');
    const snap = await openSnapshot(repo, opts);
    expect(snap.source).toBe('git-worktree');
    expect(paths(await snap.listFiles())).toEqual(['.gitignore', 'tracked.ts', 'untracked.ts']);
  });

  it('reads only files the listing offers: ignored files and .git/ stay private', async () => {
    await writeTree(repo, { '.gitignore': '.env\n', 'app.ts': 'export {};\n', '.env': 'API_KEY=secret\n' });
    initRepo(repo);
    commitAll(repo);
    const snap = await openSnapshot(repo, opts);
    expect(await snap.read('app.ts')).toBe('export {};\n');
    for (const p of ['.env', '.git/config', '.git/HEAD']) await expect(snap.read(p)).rejects.toMatchObject({ reason: 'not_found' });
  });

  it('quietly drops tracked files deleted from the work tree', async () => {
    await writeTree(repo, { 'a.ts': 'a\n', 'gone.ts': 'g\n' });
    initRepo(repo);
    commitAll(repo);
    await rm(path.join(repo, 'gone.ts'));
    const listing = await (await openSnapshot(repo, opts)).listFiles();
    expect(paths(listing)).toEqual(['a.ts']);
    expect(listing.skipped).toEqual([]);
  });
});

describe('content checks', () => {
  it('skips binary, oversized and minified files with the reason, keeps ordinary ones', async () => {
    const normal = 'def f():\n    return 1\n';
    await writeTree(repo, {
      'ok.py': normal,
      'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]),
      'late-nul.txt': 'a'.repeat(9000) + '\0', // NUL after the first 8 KiB: text as far as git is concerned
      'big.txt': 'line\n'.repeat(2500), // 12500 bytes
      'bundle.min.js': 'var a=1;'.repeat(200), // one 1600-char line
      'generated.js': ('x'.repeat(400) + '\n').repeat(5), // lines under the limit, but 400 on average
    });
    const snap = await openSnapshot(repo, { maxFileBytes: 10_000, maxLineChars: 1000 });
    const listing = await snap.listFiles();
    expect(skipped(listing)).toEqual({
      'image.png': 'binary',
      'big.txt': 'too_large',
      'bundle.min.js': 'minified',
      'generated.js': 'minified',
      'late-nul.txt': 'minified', // 9000-char single line
    });
    expect(listing.files).toEqual([{ path: 'ok.py', size: normal.length, hash: sha256(normal), language: 'python', mtimeMs: expect.any(Number) }]);
  });

  it('counts characters, not UTF-8 bytes, against maxLineChars', async () => {
    await writeTree(repo, { 'cjk.md': '漢'.repeat(90) + '\n', 'long.md': 'x'.repeat(101) + '\n' }); // 90 chars = 270 bytes
    const listing = await (await openSnapshot(repo, { ...opts, maxLineChars: 100 })).listFiles();
    expect(paths(listing)).toEqual(['cjk.md']);
    expect(skipped(listing)).toEqual({ 'long.md': 'minified' });
  });
});

describe('reading files', () => {
  it('strips a UTF-8 byte-order mark and refuses paths that leave the snapshot', async () => {
    await writeTree(repo, { 'bom.ts': '\ufeffexport const x = 1;\n' });
    const snap = await openSnapshot(repo, opts);
    expect(await snap.read('bom.ts')).toBe('export const x = 1;\n');
    for (const bad of ['../repo/bom.ts', '/etc/passwd', 'a/../bom.ts', './bom.ts', '']) {
      await expect(snap.read(bad)).rejects.toMatchObject({ reason: 'bad_request' });
    }
    await expect(snap.read('missing.ts')).rejects.toMatchObject({ reason: 'not_found' });
  });
});

describe('snapshot of a ref', () => {
  it('reads committed content, not the working tree', async () => {
    await writeTree(repo, { 'calc.py': 'RATE = 1\n', 'link': '' });
    await rm(path.join(repo, 'link'));
    await symlink('/etc/passwd', path.join(repo, 'link'));
    initRepo(repo);
    const first = commitAll(repo, 'v1');
    await writeTree(repo, { 'calc.py': 'RATE = 2\n' });
    const second = commitAll(repo, 'v2');
    await writeTree(repo, { 'calc.py': 'RATE = 3  # uncommitted\n', 'new.py': 'untracked = True\n' });

    const head = await openSnapshot(repo, { ...opts, ref: 'HEAD' });
    try {
      expect(head.source).toBe('git-ref');
      expect(head.commit).toBe(second);
      const listing = await head.listFiles();
      expect(listing.files).toEqual([{ path: 'calc.py', size: 9, hash: sha256('RATE = 2\n'), language: 'python' }]);
      expect(listing.skipped).toEqual([{ path: 'link', reason: 'symlink_escape' }]);
      expect(await head.read('calc.py')).toBe('RATE = 2\n');
      await expect(head.read('new.py')).rejects.toMatchObject({ reason: 'not_found' });
    } finally {
      head.close();
    }

    const older = await openSnapshot(repo, { ...opts, ref: 'HEAD~1' });
    expect(older.commit).toBe(first);
    expect(await older.read('calc.py')).toBe('RATE = 1\n');
    older.close();
  });

  it('works for a repository subdirectory, with paths relative to it', async () => {
    await writeTree(repo, { 'pkg/mod.py': 'A = 1\n', 'top.py': 'B = 2\n' });
    initRepo(repo);
    commitAll(repo);
    const snap = await openSnapshot(path.join(repo, 'pkg'), { ...opts, ref: 'HEAD' });
    expect(paths(await snap.listFiles())).toEqual(['mod.py']);
    expect(await snap.read('mod.py')).toBe('A = 1\n');
    snap.close();
  });

  it('answers 404 for an unknown ref, 400 for an option-like one or outside git', async () => {
    await writeTree(repo, { 'a.py': 'a = 1\n' });
    const notGit = await openSnapshot(repo, opts).then(() => openSnapshot(repo, { ...opts, ref: 'main' })).catch((e) => e);
    expect(notGit).toMatchObject({ kind: 'invalid' });
    initRepo(repo);
    commitAll(repo);
    await expect(openSnapshot(repo, { ...opts, ref: 'no-such-branch' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(openSnapshot(repo, { ...opts, ref: '--output=/tmp/x' })).rejects.toBeInstanceOf(IntakeError);
  });
});

describe('speed', () => {
  const N = 2500;
  const many = () =>
    Object.fromEntries(
      Array.from({ length: N }, (_, i) => [`pkg${i % 25}/mod${i}.ts`, `export function f${i}(x: number) {\n  return x * ${i};\n}\n`.repeat(20)]),
    );
  /** Best of two runs, so a burst of load from elsewhere on the machine does not decide the result. */
  const fastestListing = async (open: () => Promise<RepoSnapshot>) => {
    let best = Infinity;
    let listing: FileListing | undefined;
    for (let run = 0; run < 2; run++) {
      const started = performance.now();
      const snap = await open();
      listing = await snap.listFiles();
      snap.close();
      best = Math.min(best, performance.now() - started);
    }
    return { listing: listing!, ms: best };
  };

  it(`lists ${N} files in a plain directory well under two seconds`, { timeout: 60_000 }, async () => {
    await writeTree(repo, many());
    const { listing, ms } = await fastestListing(() => openSnapshot(repo, opts));
    expect(listing.files).toHaveLength(N);
    expect(ms).toBeLessThan(2000);
  });

  it(`lists ${N} files of a git commit well under two seconds`, { timeout: 60_000 }, async () => {
    await writeTree(repo, many());
    initRepo(repo);
    commitAll(repo);
    const { listing, ms } = await fastestListing(() => openSnapshot(repo, { ...opts, ref: 'HEAD' }));
    expect(listing.files).toHaveLength(N);
    expect(ms).toBeLessThan(2000);
  });
});

describe('a ref snapshot stays inside its repository (issue 13, hole 2)', () => {
  /** A repository outside the allowed root whose content must never come back. */
  async function foreignRepo(): Promise<string> {
    const elsewhere = path.join(tmp, 'elsewhere');
    await writeTree(elsewhere, { 'secret.py': 'TOKEN = "foreign"\n' });
    initRepo(elsewhere);
    commitAll(elsewhere);
    return elsewhere;
  }

  it('refuses a .git gitfile that names a git directory outside the allowed roots', async () => {
    const elsewhere = await foreignRepo();
    await writeFile(path.join(repo, '.git'), `gitdir: ${path.join(elsewhere, '.git')}\n`);
    await expect(openSnapshot(repo, { ...opts, ref: 'HEAD', containWithin: [repo] })).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('refuses a symlinked .git leading outside the allowed roots', async () => {
    const elsewhere = await foreignRepo();
    await symlink(path.join(elsewhere, '.git'), path.join(repo, '.git'));
    await expect(openSnapshot(repo, { ...opts, ref: 'HEAD', containWithin: [repo] })).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('refuses objects/info/alternates that borrow objects from outside the allowed roots', async () => {
    const elsewhere = await foreignRepo();
    initRepo(repo);
    await writeFile(path.join(repo, '.git', 'objects', 'info', 'alternates'), path.join(elsewhere, '.git', 'objects') + '\n');
    const foreignHead = git(elsewhere, 'rev-parse', 'HEAD').trim();
    await expect(openSnapshot(repo, { ...opts, ref: foreignHead, containWithin: [repo] })).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('never searches for a repository above the allowed root, nor reads one from GIT_DIR', async () => {
    initRepo(tmp); // a repository around the allowed root
    await writeTree(tmp, { 'outer.py': 'OUTER = 1\n' });
    commitAll(tmp);
    await writeTree(repo, { 'a.py': 'a = 1\n' });
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = path.join(tmp, '.git');
    try {
      await expect(openSnapshot(repo, { ...opts, ref: 'HEAD', containWithin: [repo] })).rejects.toMatchObject({ kind: 'invalid' });
      const disk = await openSnapshot(repo, { ...opts, containWithin: [repo] });
      expect(disk.source).toBe('directory');
      expect(paths(await disk.listFiles())).toEqual(['a.py']);
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
    }
  });

  it('still reads a repository whose .git is an ordinary directory inside the root', async () => {
    await writeTree(repo, { 'mine.py': 'MINE = 1\n' });
    initRepo(repo);
    commitAll(repo);
    const snap = await openSnapshot(repo, { ...opts, ref: 'HEAD', containWithin: [repo] });
    expect(paths(await snap.listFiles())).toEqual(['mine.py']);
    snap.close();
  });
});

describe('reads that follow a swapped path (issue 13, hole 8)', () => {
  // knownFile runs after the listing's lstat and before the read: the window a hostile repo owner would race
  async function listWithSwap(target: string, swap: () => Promise<void>) {
    let swapped = false;
    const snap = await openSnapshot(repo, {
      ...opts,
      knownFile: (rel) => {
        if (rel === target && !swapped) {
          swapped = true;
          pending = swap(); // execFileSync inside: done before the listing goes on to read
        }
        return undefined;
      },
    });
    let pending: Promise<void> | undefined;
    const listing = await snap.listFiles();
    await pending;
    return listing;
  }

  it('a file replaced by a FIFO is skipped as a special file, and the listing does not block', { timeout: 10_000 }, async () => {
    await writeTree(repo, { 'a.py': 'a = 1\n', 'pipe.py': 'p = 1\n' });
    const listing = await listWithSwap('pipe.py', async () => {
      execFileSync('sh', ['-c', `rm -f "$1" && mkfifo "$1"`, 'sh', path.join(repo, 'pipe.py')]);
    });
    expect(paths(listing)).toEqual(['a.py']);
    expect(skipped(listing)).toEqual({ 'pipe.py': 'special_file' });
  });

  it('a directory replaced by a symlink to the outside is not followed', async () => {
    const outside = path.join(tmp, 'outside');
    await writeTree(outside, { 'mod.py': 'SECRET = "outside"\n' });
    await writeTree(repo, { 'pkg/mod.py': 'INSIDE = 1\n' });
    const listing = await listWithSwap('pkg/mod.py', async () => {
      execFileSync('sh', ['-c', `mv "$1/pkg" "$1/pkg-old" && ln -s "$2" "$1/pkg"`, 'sh', repo, outside]);
    });
    expect(listing.files.map((f) => f.hash)).not.toContain(sha256('SECRET = "outside"\n'));
    expect(skipped(listing)).toEqual({ 'pkg/mod.py': 'changed_during_read' });
  });

  it('a file swapped for another between the check and the read is not read', async () => {
    await writeTree(repo, { 'x.py': 'ORIGINAL = 1\n' });
    await writeTree(tmp, { 'other.py': 'OTHER = 2\n' });
    const listing = await listWithSwap('x.py', async () => {
      execFileSync('sh', ['-c', `mv -f "$2" "$1"`, 'sh', path.join(repo, 'x.py'), path.join(tmp, 'other.py')]);
    });
    expect(skipped(listing)).toEqual({ 'x.py': 'changed_during_read' });
  });
});
