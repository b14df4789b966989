import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/** Every bad request gets an RFC 9457 problem document with the right status, and nothing is half-written. */
describe('bad input at the API', () => {
  let stack: TestStack;
  let allowed: string;
  let outside: string;
  beforeAll(async () => {
    allowed = await makeTmpDir('codeintel-roots-');
    outside = await makeTmpDir('codeintel-outside-');
    stack = await startStack({ env: { REPO_ROOTS: allowed, MAX_BODY_BYTES: '2048' } });
  });
  afterAll(async () => {
    await stack?.close();
    await removeDir(allowed);
    await removeDir(outside);
  });

  const post = (route: string, body: unknown) => postJson(`${stack.url}${route}`, body);
  const raw = (route: string, body: string, contentType = 'application/json') =>
    fetch(`${stack.url}${route}`, { method: 'POST', headers: { 'content-type': contentType }, body }).then(async (r) => ({
      status: r.status,
      contentType: r.headers.get('content-type') ?? '',
      body: await r.json(),
    }));

  const expectProblem = (res: { status: number; contentType: string; body: unknown }, status: number, detail?: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status, type: expect.stringContaining('https://'), title: expect.any(String), detail: expect.any(String) });
    if (detail) expect((res.body as { detail: string }).detail).toMatch(detail);
  };

  const noRepoWritten = async () => {
    const repos = await fs.readdir(path.join(stack.dataDir, 'repos')).catch(() => []);
    expect(repos).toEqual([]);
  };

  it('malformed JSON → 400', async () => {
    expectProblem(await raw('/v1/index-jobs', '{"repo": '), 400, /not valid JSON/);
  });

  it('a body that is not JSON → 415', async () => {
    expectProblem(await raw('/v1/index-jobs', 'repo=/tmp', 'application/x-www-form-urlencoded'), 415);
  });

  it('missing and wrong-typed fields → 400 naming each field', async () => {
    const missing = await post('/v1/index-jobs', {});
    expectProblem(missing, 400, /repo/);
    const wrong = await post('/v1/index-jobs', { repo: 42, full: 'yes' });
    expectProblem(wrong, 400);
    expect(wrong.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['full', 'repo']);
    expectProblem(await post('/v1/index-jobs', { repo: allowed, extra: true }), 400, /extra/);
    expectProblem(await post('/v1/index-jobs', [allowed]), 400, /JSON object/);
  });

  it('a relative path → 400', async () => {
    expectProblem(await post('/v1/index-jobs', { repo: 'some/relative/dir' }), 400, /absolute/);
  });

  it('a path outside REPO_ROOTS → 403, also when reached through a symlink or ..', async () => {
    expectProblem(await post('/v1/index-jobs', { repo: outside }), 403);
    expectProblem(await post('/v1/index-jobs', { repo: `${allowed}/../${path.basename(outside)}` }), 403);
    const link = path.join(allowed, 'sneaky');
    await fs.symlink(outside, link);
    expectProblem(await post('/v1/index-jobs', { repo: link }), 403);
    await noRepoWritten();
  });

  it('a nonexistent path → 404', async () => {
    expectProblem(await post('/v1/index-jobs', { repo: path.join(allowed, 'does-not-exist') }), 404);
  });

  it.each([
    'ext::sh -c touch% /tmp/pwned',
    'file:///etc',
    '-oProxyCommand=touch /tmp/pwned',
    '--upload-pack=touch /tmp/pwned',
    'https://example.com/repo.git --upload-pack=touch',
    'http://example.com/repo.git',
    'https://exa mple.com/repo.git',
  ])('a hostile git URL is refused: %s', async (url) => {
    const res = await post('/v1/index-jobs', { repo: url });
    expect([400, 403]).toContain(res.status);
    expect(res.contentType).toContain('application/problem+json');
  });

  it.each(['https://127.0.0.1:6379/x.git', 'https://[::1]/x.git', 'https://169.254.169.254/latest/x.git', 'https://10.0.0.1/x.git'])(
    'a git URL aimed at this machine or a private network → 403 before anything is enqueued: %s',
    async (url) => {
      const res = await post('/v1/index-jobs', { repo: url });
      expectProblem(res, 403, /only public hosts/);
      await expect(fs.readdir(path.join(stack.dataDir, 'clones'))).rejects.toThrow(/ENOENT/);
    },
  );

  it('a ref that looks like an option → 400', async () => {
    expectProblem(await post('/v1/index-jobs', { repo: allowed, ref: '--output=/tmp/x' }), 400, /ref/);
  });

  it('an unknown job id → 404', async () => {
    const res = await fetch(`${stack.url}/v1/index-jobs/no-such-job`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { status: number }).status).toBe(404);
    expect((await fetch(`${stack.url}/v1/index-jobs/${encodeURIComponent('../../etc')}`)).status).toBe(404);
  });

  it('an oversized body → 413', async () => {
    expectProblem(await raw('/v1/index-jobs', JSON.stringify({ repo: allowed, name: 'x'.repeat(5000) })), 413, /larger than 2048/);
  });

  it('an unknown route → 404 problem', async () => {
    const res = await fetch(`${stack.url}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('search: bad fields → 400, unknown repo → 404', async () => {
    expectProblem(await post('/v1/search', { repo: 'x', query: '   ' }), 400, /query/);
    expectProblem(await post('/v1/search', { repo: 'x', query: 'q', k: 0 }), 400, /k/);
    expectProblem(await post('/v1/search', { repo: 'x', query: 'q', channels: ['telepathy'] }), 400, /channels/);
    expectProblem(await post('/v1/search', { repo: 'x', query: 'q', filters: { roles: ['tests'] } }), 400, /roles/);
    expectProblem(await post('/v1/search', { repo: 'x', query: 'q', filters: { roles: [] } }), 400, /roles/);
    expectProblem(await post('/v1/search', { repo: 'never-indexed', query: 'q' }), 404, /no committed index/);
  });

  it('a repo name that is not one (../x) → 400 on search and answers, not a 500', async () => {
    expectProblem(await post('/v1/search', { repo: '../x', query: 'q' }), 400, /repo/);
    expectProblem(await post('/v1/answers', { question: 'why?', repo: '../x' }), 400, /repo/);
  });

  it('a repo whose CURRENT names a missing manifest is listed as broken; the others still list', async () => {
    const dir = path.join(stack.dataDir, 'repos', 'half-gone');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'CURRENT'), '7\n');
    try {
      const res = await fetch(`${stack.url}/v1/repos`);
      expect(res.status).toBe(200);
      const listing = (await res.json()) as { name: string }[];
      expect(listing.find((r) => r.name === 'half-gone')).toEqual({ name: 'half-gone', broken: true, error: expect.stringMatching(/manifest-v7\.json/), manifestVersion: 7 });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('a malformed path glob → 400 naming the glob, on search and on answers', async () => {
    const search = await post('/v1/search', { repo: 'x', query: 'q', filters: { paths: ['src/**', '*.{ts,tsx'] } });
    expectProblem(search, 400, /"\*\.\{ts,tsx": unclosed '\{'/);
    expect(search.body.errors).toEqual([{ field: 'filters.paths.1', message: expect.stringContaining('unclosed') }]);
    const answer = await post('/v1/answers', { repo: 'x', question: 'q?', filters: { paths: ['src/[ab'] } });
    expectProblem(answer, 400, /"src\/\[ab": unclosed '\['/);
    expectProblem(await post('/v1/search', { repo: 'x', query: 'q', filters: { paths: [''] } }), 400, /is empty/);
  });

  it('an empty repo fails its run with a clear message and writes nothing', async () => {
    const empty = path.join(allowed, 'empty');
    await fs.mkdir(empty);
    const submit = await post('/v1/index-jobs', { repo: empty });
    expect(submit.status).toBe(202);
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state).toBe('failed');
    expect(done.error).toMatchObject({ status: 422, detail: expect.stringMatching(/nothing to index.*no files/) });
    await noRepoWritten();
  });

  it('a binary-only repo fails its run naming the skipped files, and writes nothing', async () => {
    const bin = path.join(allowed, 'binaries');
    await writeTree(bin, { 'a.bin': Buffer.from([0, 1, 2, 3, 0, 255]), 'b.png': Buffer.from([137, 80, 78, 71, 0, 0, 0]) });
    const submit = await post('/v1/index-jobs', { repo: bin });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state).toBe('failed');
    expect(done.error!.detail).toMatch(/all 2 files were skipped \(2 binary\)/);
    await noRepoWritten();
  });

  it('a symlink inside a repo never leads the scan outside it', async () => {
    await writeTree(outside, { 'secret.py': 'def leaked_secret_function():\n    return "TOPSECRET"\n' });
    const repo = path.join(allowed, 'with-link');
    await writeTree(repo, { 'main.py': 'def hello():\n    return 1\n' });
    await fs.symlink(path.join(outside, 'secret.py'), path.join(repo, 'secret.py'));
    await fs.symlink(outside, path.join(repo, 'outside-dir'));
    git(repo, 'init', '-q');
    const submit = await post('/v1/index-jobs', { repo, name: 'with-link' });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state).toBe('completed');
    expect(done.result!.files).toBe(1);
    // the dense channel returns every chunk it holds: only main.py's
    const search = await post('/v1/search', { repo: 'with-link', query: 'leaked_secret_function TOPSECRET', k: 10, channels: ['bm25', 'dense'] });
    expect(search.body.hits.map((h: { path: string }) => h.path)).toEqual(['main.py']);
  });
});

describe('requests without a body', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.close());

  it('a bodiless POST is not refused as the wrong media type: it reaches the route', async () => {
    const compact = await fetch(`${stack.url}/v1/repos/never-indexed/compact`, { method: 'POST' });
    expect(compact.status).toBe(404);
    const index = await fetch(`${stack.url}/v1/index-jobs`, { method: 'POST' });
    expect(index.status).toBe(400);
    expect(((await index.json()) as { detail: string }).detail).toMatch(/JSON object/);
  });

  it('a body that is not JSON is still 415, chunked or not', async () => {
    const res = await fetch(`${stack.url}/v1/search`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'repo=x' });
    expect(res.status).toBe(415);
  });
});
