import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { runCli, startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, postJson, testEnv } from '../support/stack.js';

describe('codeintel serve as a child process, driven over HTTP and by the CLI', () => {
  let serve: ServeProcess;
  let env: Record<string, string>;
  let dataDir: string;
  let prefix: string;
  beforeAll(async () => {
    ({ env, dataDir, prefix } = await testEnv({ LOG_LEVEL: 'info' }));
    serve = await startServeProcess(env);
    env.CODEINTEL_URL = serve.url;
  });
  afterAll(async () => {
    expect(await serve?.stop()).toBe(0); // SIGTERM shuts down cleanly
    await dropPrefix(prefix);
    await removeDir(dataDir);
  });

  it('indexes a fixture repo with `codeintel index --wait`', async () => {
    const res = await runCli(['index', SAMPLE_REPO, '--name', 'sample', '--wait'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/indexed "sample" v1: 5 files, \d+ chunks \(\+5 added, ~0 changed, -0 deleted\)/);
    expect(res.stdout).toContain('hashing-lexical-v1');
  });

  it('search hits point at the right lines', async () => {
    const cases = [
      { query: 'rate limiter take token bucket', path: 'src/rateLimiter.ts', text: 'class RateLimiter' },
      { query: 'parse the config file', path: 'src/config.ts', text: 'parseConfig' },
      { query: 'compute_interest annual_rate periods_per_year', path: 'bank/account.py', text: 'def compute_interest' },
    ];
    for (const c of cases) {
      const res = await postJson(`${serve.url}/v1/search`, { repo: 'sample', query: c.query, k: 3 });
      expect(res.status).toBe(200);
      const hit = res.body.hits[0];
      expect(hit.path, c.query).toBe(c.path);
      const file = (await fs.readFile(path.join(SAMPLE_REPO, hit.path), 'utf8')).split('\n');
      expect(file.slice(hit.startLine - 1, hit.endLine).join('\n')).toContain(c.text);
    }
  });

  it('`codeintel search` prints ranked hits with their lines', async () => {
    const res = await runCli(['search', 'sample', 'compute_interest annual_rate periods_per_year', '--k', '3'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.split('\n')[0]).toMatch(/^ 1\. bank\/account\.py:\d+-\d+ /);
    const json = await runCli(['search', 'sample', 'compute_interest annual_rate periods_per_year', '--json'], env);
    expect(JSON.parse(json.stdout).hits[0].path).toBe('bank/account.py');
  });

  it('`codeintel status` shows a job, and the CLI explains API errors', async () => {
    const bad = await runCli(['status', 'no-such-job'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error 404: no index job/);
    const down = await runCli(['search', 'sample', 'x'], { ...env, CODEINTEL_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the codeintel API/);
  });

  it('logs are structured JSON lines that say what happened', () => {
    const lines = serve.stderr().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['workers started', 'plan ready', 'chunks staged', 'manifest committed', 'index run committed']));
  });
});
