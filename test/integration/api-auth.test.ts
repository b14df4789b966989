import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/stack.js';

/** The part of Bull Board's GET api/queues answer these tests read. */
type BoardQueues = { queues: { name: string; readOnlyMode: boolean }[] };

describe('bearer-token auth and the dashboard', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: { API_TOKENS: 'app-token', ADMIN_TOKENS: 'admin-token' } });
  });
  afterAll(async () => stack?.close());

  const get = (path: string, token?: string) => fetch(`${stack.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'manual' });

  it('/healthz needs no token', async () => {
    expect((await get('/healthz')).status).toBe(200);
  });

  it('every other route answers 401 problem without a valid token', async () => {
    for (const path of ['/v1/repos', '/readyz', '/metrics', '/admin/queues']) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await get('/v1/repos', 'wrong-token')).status).toBe(401);
  });

  it('a malformed codeintel_token cookie (%zz) is a 401 problem, not a 500', async () => {
    for (const path of ['/v1/repos', '/readyz', '/admin/queues']) {
      const res = await fetch(`${stack.url}${path}`, { headers: { cookie: 'codeintel_token=%zz' }, redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('a valid API token opens the API', async () => {
    expect((await get('/v1/repos', 'app-token')).status).toBe(200);
    expect((await get('/readyz', 'app-token')).status).toBe(200);
  });

  it('Bull Board is read-only for an API token and full for an admin token', async () => {
    const readOnly = await get('/admin/queues/api/queues?activeQueue=index&status=latest&page=1', 'app-token');
    expect(readOnly.status).toBe(200);
    const ro = (await readOnly.json()) as BoardQueues;
    expect(ro.queues.map((q: { name: string }) => q.name).sort()).toEqual(['answer', 'gpu', 'index', 'sink']);
    expect(ro.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);

    const admin = (await (await get('/admin/queues/api/queues?activeQueue=index&status=latest&page=1', 'admin-token')).json()) as BoardQueues;
    expect(admin.queues.every((q: { readOnlyMode: boolean }) => !q.readOnlyMode)).toBe(true);

    // a read-only board refuses mutations
    const clean = await fetch(`${stack.url}/admin/queues/api/queues/index/clean/completed`, { method: 'PUT', headers: { authorization: 'Bearer app-token' } });
    expect(clean.status).toBeGreaterThanOrEqual(400);
  });

  it('a browser gets the dashboard cookie from ?token= and is redirected', async () => {
    const res = await get('/admin/queues?token=admin-token');
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toMatch(/codeintel_token=admin-token; Path=\/admin\/queues; HttpOnly/);
  });
});

describe('listening beyond loopback', () => {
  it('refuses to start without API_TOKENS and REPO_ROOTS', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config/index.js');
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(ConfigError);
    try {
      loadConfig({ HOST: '0.0.0.0', PORT: 'eighty', VLLM_TIMEOUT_S: '-1' });
    } catch (err) {
      const message = (err as Error).message;
      for (const v of ['API_TOKENS', 'REPO_ROOTS', 'PORT', 'VLLM_TIMEOUT_S']) expect(message).toContain(v);
    }
  });
});
