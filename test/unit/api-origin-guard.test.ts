import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOwnOrigin, originGuard } from '../../src/api/originGuard.js';

/** A server with only the guard in front of two routes, reached with hand-set Host and Origin headers. */
async function guarded(authenticated: boolean) {
  const app = express();
  app.use(originGuard({ authenticated }));
  app.all('/v1/repos', (_req, res) => void res.json({ ok: true }));
  app.all('/mcp', (_req, res) => void res.json({ ok: true }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const request = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  return { port, request, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('without tokens: only loopback Host names at this port, and no foreign Origin', () => {
  let s: Awaited<ReturnType<typeof guarded>>;
  beforeAll(async () => void (s = await guarded(false)));
  afterAll(() => s.close());

  it('accepts localhost, 127.0.0.1 and [::1] with the port the request came in on', async () => {
    for (const name of ['localhost', '127.0.0.1', '[::1]', 'LOCALHOST']) {
      expect((await s.request('/v1/repos', { host: `${name}:${s.port}` })).status, name).toBe(200);
    }
  });

  it('refuses a rebinding name, another port, or a missing port with 403 naming API_TOKENS', async () => {
    for (const host of [`evil.example:${s.port}`, `localhost:${s.port + 1}`, 'localhost', `10.0.0.5:${s.port}`]) {
      const r = await s.request('/v1/repos', { host });
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ status: 403, type: expect.stringContaining('host-not-allowed'), detail: expect.stringContaining('API_TOKENS') });
    }
  });

  it('refuses a foreign Origin on every route, and lets the own origin and no Origin through', async () => {
    const host = `127.0.0.1:${s.port}`;
    for (const path of ['/v1/repos', '/mcp']) {
      expect((await s.request(path, { host, origin: 'http://evil.example' })).status, path).toBe(403);
      expect((await s.request(path, { host, origin: 'null' })).status, path).toBe(403);
      expect((await s.request(path, { host, origin: `http://localhost:${s.port}` })).status, path).toBe(200);
      expect((await s.request(path, { host })).status, path).toBe(200);
    }
  });
});

describe('with tokens: any Host, but /mcp still refuses a foreign Origin', () => {
  let s: Awaited<ReturnType<typeof guarded>>;
  beforeAll(async () => void (s = await guarded(true)));
  afterAll(() => s.close());

  it('serves other host names (a reverse proxy, a LAN name)', async () => {
    expect((await s.request('/v1/repos', { host: 'codeintel.internal' })).status).toBe(200);
  });

  it('refuses a foreign Origin on /mcp but not on the token-guarded API routes', async () => {
    const headers = { host: 'codeintel.internal', origin: 'https://evil.example' };
    expect((await s.request('/mcp', headers)).status).toBe(403);
    expect((await s.request('/v1/repos', headers)).status).toBe(200);
  });

  it('accepts the origin of the Host it is reached under', async () => {
    expect((await s.request('/mcp', { host: 'codeintel.internal:8443', origin: 'https://codeintel.internal:8443' })).status).toBe(200);
    expect((await s.request('/mcp', { host: 'codeintel.internal', origin: 'http://codeintel.internal' })).status).toBe(200);
  });
});

describe('isOwnOrigin', () => {
  it('compares scheme-default ports and refuses non-http schemes', () => {
    expect(isOwnOrigin('https://a.example', 'a.example:443', 9)).toBe(true);
    expect(isOwnOrigin('https://a.example', 'a.example', 9)).toBe(false); // Host without port means 80
    expect(isOwnOrigin('file://', 'localhost:9', 9)).toBe(false);
    expect(isOwnOrigin('http://[::1]:9', 'x', 9)).toBe(true);
  });
});
