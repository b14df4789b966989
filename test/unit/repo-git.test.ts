import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBlobReader } from '../../src/repo/catFile.js';
import { locateGitRepo } from '../../src/repo/gitDir.js';
import { dirSize } from '../../src/repo/dirSize.js';
import { GitError } from '../../src/errors/gitError.js';
import { gitEnv, runGit, summarizeStderr } from '../../src/repo/git.js';
import { detectLanguage } from '../../src/repo/language.js';
import { commitAll, git, initRepo, makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';

let tmp: string;
beforeEach(async () => {
  tmp = await makeTmpDir();
});
afterEach(() => removeDir(tmp));

describe('runGit', () => {
  it('returns stdout as bytes', async () => {
    const { stdout } = await runGit(['--version']);
    expect(stdout.toString()).toMatch(/^git version /);
  });

  it('fails with the subcommand and trimmed stderr', async () => {
    const err = await runGit(['-C', tmp, 'rev-parse', 'HEAD']).catch((e) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(err.message).toMatch(/^git rev-parse failed: fatal: not a git repository/);
  });

  it('kills a command that outlives its timeout, helpers included', async () => {
    const started = Date.now();
    // A shell alias stands in for a hung transport helper.
    const err = await runGit(['-c', 'alias.hang=!sleep 30', 'hang'], { timeoutMs: 300 }).catch((e) => e);
    expect(err).toMatchObject({ timedOut: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('kills a command when aborted', async () => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const err = await runGit(['-c', 'alias.hang=!sleep 30', 'hang'], { signal: ctrl.signal }).catch((e) => e);
    expect(err.message).toMatch(/aborted/);
  });

  it('runs with prompts disabled so a credential request can never hang a worker', () => {
    const env = gitEnv({ PATH: '/usr/bin' });
    expect(env).toMatchObject({ GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/true', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' });
    expect(gitEnv({ GIT_SSH_COMMAND: 'ssh -i key' }).GIT_SSH_COMMAND).toBe('ssh -i key');
  });

  it('summarizes stderr without progress chatter', () => {
    expect(summarizeStderr("Cloning into 'x'...\nremote: Counting objects: 5\nfatal: repository not found\n")).toBe('fatal: repository not found');
  });
});

describe('createBlobReader', () => {
  it('answers many concurrent reads in order from one cat-file process', async () => {
    const files = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.txt`, `content ${i}\n`.repeat(i + 1)]));
    await writeTree(tmp, files);
    initRepo(tmp);
    commitAll(tmp);
    const oids = Object.keys(files).map((f) => git(tmp, 'rev-parse', `HEAD:${f}`).trim());
    const reader = createBlobReader((await locateGitRepo(tmp))!);
    const blobs = await Promise.all(oids.map((oid) => reader.read(oid)));
    expect(blobs.map((b) => b.toString())).toEqual(Object.values(files));
    await expect(reader.read('0'.repeat(40))).rejects.toThrow(/not found/);
    // Still usable after a miss.
    expect((await reader.read(oids[3])).toString()).toBe(files['f3.txt']);
    reader.close();
  });
});

describe('dirSize', () => {
  it('adds up file sizes recursively and can stop early', async () => {
    await writeTree(tmp, { 'a.bin': Buffer.alloc(1000), 'd/b.bin': Buffer.alloc(2000), 'd/e/c.bin': Buffer.alloc(3000) });
    await writeFile(path.join(tmp, 'empty'), '');
    expect(await dirSize(tmp)).toBe(6000);
    expect(await dirSize(tmp, 500)).toBeGreaterThan(500);
    expect(await dirSize(path.join(tmp, 'missing'))).toBe(0);
  });
});

describe('detectLanguage', () => {
  it.each([
    ['src/a.ts', 'typescript'],
    ['src/types.d.ts', 'typescript'],
    ['ui/App.tsx', 'tsx'],
    ['lib/x.mjs', 'javascript'],
    ['bank/account.py', 'python'],
    ['README.md', 'markdown'],
    ['package.json', 'json'],
    ['cmd/main.go', 'go'],
    ['src/lib.rs', 'rust'],
    ['A.java', 'java'],
    ['x.c', 'c'],
    ['x.hpp', 'cpp'],
    ['run.sh', 'shell'],
    ['ci.yml', 'yaml'],
    ['Cargo.toml', 'toml'],
    ['Dockerfile', 'dockerfile'],
    ['Makefile', 'make'],
    ['LICENSE', 'text'],
    ['notes.TXT', 'text'],
    ['weird.xyz', 'text'],
  ])('%s → %s', (file, language) => {
    expect(detectLanguage(file)).toBe(language);
  });
});
