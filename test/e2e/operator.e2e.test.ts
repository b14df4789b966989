import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { ROOT, runCli, startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, testEnv } from '../support/stack.js';

/** What an operator meets first: startup, the port, readiness, metrics, shutdown, and the CLI around a running index. */

const logLines = (stderr: string) =>
  stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('a codeintel serve child', () => {
  let serve: ServeProcess;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ env } = await testEnv({ LOG_LEVEL: 'info' }));
    serve = await startServeProcess(env);
    env.CODEINTEL_URL = serve.url;
    const indexed = await runCli(['index', SAMPLE_REPO, '--name', 'sample', '--wait'], env);
    expect(indexed.code, indexed.stderr).toBe(0);
  });
  afterAll(async () => {
    await serve?.stop();
    await dropPrefix(env.REDIS_PREFIX);
    await removeDir(env.DATA_DIR);
  });

  it('logs at startup its version, DATA_DIR, REDIS_PREFIX and which role consumes which queue', () => {
    const started = logLines(serve.stderr()).find((l) => typeof l.msg === 'string' && /API listening/.test(l.msg));
    expect(started).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      dataDir: env.DATA_DIR,
      redisPrefix: env.REDIS_PREFIX,
      consumes: { index: 'queue "index"', gpu: 'queue "gpu"', sink: 'queue "sink"', answer: 'queue "answer"' },
      mcp: `${serve.url}/mcp`,
    });
  });

  it('reports on /readyz, per queue, how many workers consume it', async () => {
    const body = (await (await fetch(`${serve.url}/readyz`)).json()) as { checks: Record<string, { ok: boolean; consumers?: Record<string, number> }> };
    expect(body.checks.queues.ok).toBe(true);
    for (const q of ['index', 'gpu', 'sink', 'answer']) expect(body.checks.queues.consumers![q], q).toBeGreaterThan(0);
  });

  it('exports whole index runs as index_run_duration_ms, and counters without samples at 0', async () => {
    const text = await (await fetch(`${serve.url}/metrics`)).text();
    expect(text).toMatch(/^index_run_duration_ms_count\{status="completed"\} [1-9]/m);
    expect(text).toMatch(/^gpu_oom_total\{kind="dense"\} 0$/m);
    expect(text).toMatch(/^answers_total\{state="failed"\} 0$/m);
  });

  it('refuses a taken port with one line naming PORT, before any worker starts', async () => {
    const port = new URL(serve.url).port;
    const second = await runCli(['serve'], { ...env, PORT: port, LOG_LEVEL: 'info' }, 30_000);
    expect(second.code).toBe(1);
    const errors = second.stderr.split('\n').filter((l) => l && !l.startsWith('{'));
    expect(errors).toEqual([`error: PORT ${port} is already in use on 127.0.0.1; stop the other process or set PORT to a free port`]);
    expect(second.stderr).not.toMatch(/workers started|EADDRINUSE.*\n\s+at /);
  });

  it('`codeintel repos` lists the indexed repos', async () => {
    const res = await runCli(['repos'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^sample {2}v\d+ {2}5 files {2}\d+ chunks {2}hashing-lexical-v1 {2}updated /m);
  });

  it('`codeintel search` shows the line of each hit that matches the query, with its number', async () => {
    const res = await runCli(['search', 'sample', 'withdraw insufficient funds', '--k', '1'], env);
    expect(res.code, res.stderr).toBe(0);
    const [, preview] = res.stdout.split('\n');
    expect(preview).toMatch(/^\s+\d+ {2}.*(withdraw|Insufficient|funds)/i);
  });
});

describe('index --wait on a repo whose run is already queued', () => {
  let api: ServeProcess;
  let workers: ServeProcess | null = null;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ env } = await testEnv({}));
    api = await startServeProcess(env, 30_000, ['--roles', 'none']); // no worker: the first run stays queued
    env.CODEINTEL_URL = api.url;
  });
  afterAll(async () => {
    await workers?.stop();
    await api?.stop();
    await dropPrefix(env.REDIS_PREFIX);
    await removeDir(env.DATA_DIR);
  });

  it('follows the run in flight instead of failing with 409', async () => {
    const first = await runCli(['index', SAMPLE_REPO, '--name', 'sample'], env);
    expect(first.code, first.stderr).toBe(0);
    const jobId = first.stdout.trim();
    const waiting = runCli(['index', SAMPLE_REPO, '--name', 'sample', '--wait'], env);
    // the workers come up only now, in another process on the same Redis, and run the queued job
    await new Promise((r) => setTimeout(r, 1000));
    workers = await startServeProcess({ ...env, PORT: '0' });
    const res = await waiting;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`repo "sample" already has an index run (${jobId}); following it`);
    expect(res.stdout).toMatch(/indexed "sample" v1: 5 files/);
  });

  it('without --wait, says which job runs and how to follow it', async () => {
    await workers?.stop(); // no worker again: the next run stays queued
    workers = null;
    const queued = await runCli(['index', SAMPLE_REPO, '--name', 'sample'], env);
    expect(queued.code, queued.stderr).toBe(0);
    const again = await runCli(['index', SAMPLE_REPO, '--name', 'sample'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`follow it with "codeintel status ${queued.stdout.trim()}"`);
    expect(again.stderr).not.toMatch(/\/v1\//);
  });
});

describe('npm start', () => {
  it('passes SIGTERM on to the server, which shuts down instead of being orphaned', async () => {
    const { env } = await testEnv({});
    const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    npm.stderr.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not serve in time:\n${err}`)), 60_000);
      npm.stdout.on('data', (d) => {
        out += d;
        const m = /serving at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // a fresh npm start serves MCP too
    const init = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('mcp-session-id')).toBeTruthy();
    await init.body?.cancel();
    const exited = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)));
    npm.kill('SIGTERM');
    await exited;
    // the server is gone too: nothing answers on its port any more
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await fetch(`${url}/healthz`).then(
        () => false,
        () => true,
      );
      if (!refused) await new Promise((r) => setTimeout(r, 200));
    }
    expect(refused, err).toBe(true);
    await dropPrefix(env.REDIS_PREFIX);
    await removeDir(env.DATA_DIR);
  }, 90_000);
});
