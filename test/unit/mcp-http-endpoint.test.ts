import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { mcpEndpoint } from '../../src/mcp/httpEndpoint.js';
import { createCodeintelMcpServer } from '../../src/mcp/server.js';
import type { CodeintelService } from '../../src/mcp/service.js';
import { silentLogger } from '../../src/observability/logger.js';
import { callTool, httpMcpClient } from '../support/mcpClients.js';

/** The /mcp session lifecycle, with the SDK client, over a service that only lists one repo. */

const service = {
  listRepos: async () => [{ name: 'r', manifestVersion: 1, files: 1, chunks: 1, embedding: { model: 'm', dim: 4 }, updatedAt: 'now' }],
} as unknown as CodeintelService;

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

async function start(opts: { idleMs?: number; maxSessions?: number }) {
  const endpoint = mcpEndpoint({ newServer: () => createCodeintelMcpServer(service, { version: 't' }), logger: silentLogger(), ...opts });
  const app = express();
  app.use(express.json());
  app.use(endpoint.router);
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    await endpoint.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { url, endpoint };
}

describe('/mcp sessions', () => {
  it('ends a session on DELETE', async () => {
    const { url, endpoint } = await start({});
    const { client, transport } = await httpMcpClient(url);
    expect(endpoint.sessions()).toBe(1);
    await transport.terminateSession();
    expect(endpoint.sessions()).toBe(0);
    await client.close();
  });

  it('closes a session left idle, after which its id is a 404', async () => {
    const { url, endpoint } = await start({ idleMs: 200 });
    const { client, transport } = await httpMcpClient(url);
    expect((await callTool(client, 'list_repositories', {})).isError).toBe(false);
    const id = transport.sessionId!;
    const deadline = Date.now() + 5000;
    while (endpoint.sessions() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(endpoint.sessions()).toBe(0);
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    await client.close().catch(() => {});
  });

  it('refuses a new session beyond the limit with 503, and keeps the open ones working', async () => {
    const { url } = await start({ maxSessions: 1 });
    const first = await httpMcpClient(url);
    await expect(httpMcpClient(url)).rejects.toThrow(/503|too many MCP sessions/);
    expect((await callTool(first.client, 'list_repositories', {})).isError).toBe(false);
    await first.client.close();
  });
});
