import { chmod, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors/intakeError.js';
import { cloneGitRepo, resolveLocalRepo } from '../../src/repo/intake.js';
import { checkGitHost } from '../../src/repo/gitHost.js';
import { sweepFinishedClones } from '../../src/indexing/cloneSweeper.js';
import net from 'node:net';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

async function intakeError(p: Promise<unknown>): Promise<IntakeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(IntakeError);
    return err as IntakeError;
  }
  throw new Error('expected an IntakeError');
}

let tmp: string;
let roots: string;
beforeEach(async () => {
  tmp = await makeTmpDir();
  roots = path.join(tmp, 'roots');
  await mkdir(path.join(roots, 'repo-a'), { recursive: true });
  await mkdir(path.join(tmp, 'elsewhere'), { recursive: true });
});
afterEach(() => removeDir(tmp));

describe('resolveLocalRepo', () => {
  it('returns the realpath of a directory inside the allowed roots', async () => {
    await expect(resolveLocalRepo(path.join(roots, 'repo-a'), { repoRoots: [roots] })).resolves.toBe(path.join(roots, 'repo-a'));
    await expect(resolveLocalRepo(path.join(roots, 'x', '..', 'repo-a'), { repoRoots: [roots] })).resolves.toBe(path.join(roots, 'repo-a'));
  });

  it('accepts any readable absolute directory when no roots are configured', async () => {
    await expect(resolveLocalRepo(path.join(tmp, 'elsewhere'), { repoRoots: [] })).resolves.toBe(path.join(tmp, 'elsewhere'));
  });

  it('rejects a relative path with 400', async () => {
    const err = await intakeError(resolveLocalRepo('roots/repo-a', { repoRoots: [] }));
    expect([err.reason, err.kind]).toEqual(['bad_request', 'invalid']);
    expect(err.message).toMatch(/absolute/);
  });

  it('answers 404 "no such directory" for a path that does not exist', async () => {
    const err = await intakeError(resolveLocalRepo(path.join(roots, 'missing'), { repoRoots: [roots] }));
    expect([err.reason, err.kind]).toEqual(['not_found', 'not_found']);
    expect(err.message).toMatch(/no such directory/);
  });

  it('answers 403 for a directory outside every root', async () => {
    const err = await intakeError(resolveLocalRepo(path.join(tmp, 'elsewhere'), { repoRoots: [roots] }));
    expect([err.reason, err.kind]).toEqual(['forbidden', 'forbidden']);
  });

  it('answers 403 (not 404) for missing paths outside the roots, so existence cannot be probed', async () => {
    const err = await intakeError(resolveLocalRepo('/definitely/not/here', { repoRoots: [roots] }));
    expect(err.kind).toBe('forbidden');
  });

  it('answers 403 for a symlink inside a root that points outside it', async () => {
    await symlink(path.join(tmp, 'elsewhere'), path.join(roots, 'sneaky'));
    const err = await intakeError(resolveLocalRepo(path.join(roots, 'sneaky'), { repoRoots: [roots] }));
    expect(err.kind).toBe('forbidden');
  });

  it('does not treat a sibling with a common prefix as inside the root', async () => {
    await mkdir(path.join(tmp, 'roots-evil'));
    const err = await intakeError(resolveLocalRepo(path.join(tmp, 'roots-evil'), { repoRoots: [roots] }));
    expect(err.kind).toBe('forbidden');
  });

  it('answers 422 for a file', async () => {
    await writeFile(path.join(roots, 'file.txt'), 'x');
    const err = await intakeError(resolveLocalRepo(path.join(roots, 'file.txt'), { repoRoots: [roots] }));
    expect([err.reason, err.kind]).toEqual(['unprocessable', 'unprocessable']);
  });

  it.skipIf(process.getuid?.() === 0)('answers 403 for a directory it cannot read', async () => {
    const locked = path.join(roots, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o000);
    try {
      const err = await intakeError(resolveLocalRepo(locked, { repoRoots: [roots] }));
      expect(err.kind).toBe('forbidden');
    } finally {
      await chmod(locked, 0o755);
    }
  });
});

describe('cloneGitRepo', () => {
  const opts = { depth: 1, maxBytes: 10 * 1024 * 1024, timeoutMs: 20_000 };

  it('refuses file:// and local paths before running git', async () => {
    const dest = path.join(tmp, 'clone');
    for (const url of ['file:///etc', '/etc', 'ext::sh -c id']) {
      const err = await intakeError(cloneGitRepo(url, dest, opts));
      expect(err.kind).toBe('invalid');
    }
    await expect(stat(dest)).rejects.toThrow(/ENOENT/);
  });

  it('refuses an option-like ref', async () => {
    const err = await intakeError(cloneGitRepo('https://github.com/a/b.git', path.join(tmp, 'c'), { ...opts, ref: '--upload-pack=id' }));
    expect(err.kind).toBe('invalid');
  });

  it('fails fast with a clean 422 and leaves no destination when the remote is unreachable', async () => {
    const dest = path.join(tmp, 'clone');
    const started = Date.now();
    // loopback is refused by default; allow-listed here so git really runs against a closed port
    const err = await intakeError(cloneGitRepo('https://127.0.0.1:9/nope.git', dest, { ...opts, hosts: { allowHosts: ['127.0.0.1'] } }));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect([err.reason, err.kind]).toEqual(['unprocessable', 'unprocessable']);
    expect(err.message).toBe('could not clone https://127.0.0.1:9/nope.git: the host refused the connection');
    await expect(stat(dest)).rejects.toThrow(/ENOENT/);
  });

  it('refuses to clone into a non-empty directory (and leaves it alone)', async () => {
    const dest = path.join(tmp, 'busy');
    await mkdir(dest);
    await writeFile(path.join(dest, 'keep.txt'), 'mine');
    await expect(cloneGitRepo('https://127.0.0.1:9/nope.git', dest, opts)).rejects.toThrow(/not empty/);
    await expect(stat(path.join(dest, 'keep.txt'))).resolves.toBeTruthy();
  });
});

describe('clones reach only public hosts (issue 13, hole 3)', () => {
  const opts = { depth: 1, maxBytes: 10 * 1024 * 1024, timeoutMs: 20_000 };
  /** A TCP server on loopback that records every connection: a refusal must happen before any. */
  async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
    let count = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      count++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // the client resets after the failed handshake
      s.end('HTTP/1.1 200 OK internal-service-banner\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    return {
      port,
      connections: () => count,
      // a client may keep its half of the connection open: close() must not wait for it
      close: () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    };
  }

  it.each([
    ['loopback IPv4', 'https://127.0.0.1:6379/x.git'],
    ['loopback IPv6', 'https://[::1]/x.git'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x.git'],
    ['cloud metadata (link-local)', 'https://169.254.169.254/latest/meta-data.git'],
    ['private', 'https://10.0.0.1/x.git'],
    ['unique-local', 'ssh://git@[fd00::1]/x.git'],
    ['unspecified', 'git@0.0.0.0:x.git'],
  ])('refuses a %s target with 403 before any connection', async (_what, url) => {
    const dest = path.join(tmp, 'clone');
    const err = await intakeError(cloneGitRepo(url, dest, opts));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toMatch(/clones may reach only public hosts unless GIT_ALLOWED_HOSTS names it/);
    await expect(stat(dest)).rejects.toThrow(/ENOENT/);
  });

  it('checks every address a name resolves to, not just the first', async () => {
    const resolveHost = async () => ['93.184.216.34', '10.1.2.3'];
    const err = await intakeError(cloneGitRepo('https://git.example.com/x.git', path.join(tmp, 'c'), { ...opts, resolveHost }));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toContain('git.example.com (10.1.2.3) is a private address');
  });

  it('does not connect when the name resolves to loopback', async () => {
    const server = await listener();
    try {
      const resolveHost = async () => ['127.0.0.1'];
      const err = await intakeError(cloneGitRepo(`https://rebind.example:${server.port}/x.git`, path.join(tmp, 'c'), { ...opts, resolveHost }));
      expect(err.kind).toBe('forbidden');
      expect(server.connections()).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('lets an allow-listed in-house host or range through', async () => {
    expect(await checkGitHost('https://git.corp/x.git', { allowHosts: ['git.corp'] }, async () => ['10.0.0.5'])).toMatchObject({ host: 'git.corp' });
    expect(await checkGitHost('https://git.corp/x.git', { allowHosts: ['10.0.0.0/8'] }, async () => ['10.0.0.5'])).toMatchObject({ addresses: ['10.0.0.5'] });
    await expect(checkGitHost('https://git.corp/x.git', { allowHosts: ['10.0.0.0/8'] }, async () => ['10.0.0.5', '192.168.0.1'])).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it("does not echo git's stderr (what the remote answered) into the error", async () => {
    const server = await listener();
    try {
      const url = `https://127.0.0.1:${server.port}/x.git`;
      const err = await intakeError(cloneGitRepo(url, path.join(tmp, 'c'), { ...opts, hosts: { allowHosts: ['127.0.0.1'] } }));
      expect(server.connections()).toBe(1);
      expect(err.message).not.toMatch(/internal-service-banner|fatal:|ssh:/);
      expect(err.message).toMatch(/^could not clone https:\/\/127\.0\.0\.1:\d+\/x\.git: the TLS handshake failed/);
    } finally {
      await server.close();
    }
  });
});


describe('clone directories (issue 13, hole 7)', () => {
  const opts = { depth: 1, maxBytes: 10 * 1024 * 1024, timeoutMs: 20_000, hosts: { allowHosts: ['127.0.0.1'] } };

  it('a clone killed halfway is never taken for a whole one: the next attempt removes it and only a finished clone gets the name', async () => {
    const dest = path.join(tmp, 'clones', 'run-1');
    // what a kill -9 during `git clone` leaves: a partial directory beside the destination
    await mkdir(path.join(tmp, 'clones', 'run-1.partial-dead0001', '.git'), { recursive: true });
    await writeFile(path.join(tmp, 'clones', 'run-1.partial-dead0001', 'half.txt'), 'half');
    await intakeError(cloneGitRepo('https://127.0.0.1:9/nope.git', dest, opts));
    expect(await readdir(path.join(tmp, 'clones'))).toEqual([]);
  });

  it('the clones of finished runs are swept, those of live runs kept', async () => {
    const clones = path.join(tmp, 'clones');
    for (const d of ['failed-run', 'done-run', 'gone-run', 'live-run', 'waiting-run', 'failed-run.partial-1234abcd', 'live-run.partial-5678abcd']) {
      await mkdir(path.join(clones, d), { recursive: true });
    }
    const states: Record<string, string> = { 'failed-run': 'failed', 'done-run': 'completed', 'live-run': 'active', 'waiting-run': 'waiting-children' };
    const removed = await sweepFinishedClones(clones, async (runId) => states[runId] ?? 'unknown');
    expect(removed.sort()).toEqual(['done-run', 'failed-run', 'failed-run.partial-1234abcd', 'gone-run']);
    expect((await readdir(clones)).sort()).toEqual(['live-run', 'live-run.partial-5678abcd', 'waiting-run']);
  });
});
