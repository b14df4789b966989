import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../observability/logger.js';

/**
 * MCP over Streamable HTTP at /mcp, with sessions as the spec defines them:
 * an initialize POST without Mcp-Session-Id opens a session (its own
 * McpServer and transport, the id in the response header); later POSTs,
 * the GET stream and DELETE carry the id. Auth and Origin checks are the
 * API's middleware, in front of this router. Idle sessions are closed after
 * `idleMs`, so clients that vanish without DELETE do not pile up.
 */

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

export interface McpEndpointOptions {
  newServer: () => McpServer;
  logger: Logger;
  /** close a session after this long without a request (default 30 min) */
  idleMs?: number;
  /** most sessions open at once; an initialize beyond it gets 503 (default 1000) */
  maxSessions?: number;
}

const rpcError = (res: Response, status: number, code: number, message: string) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });

export function mcpEndpoint(opts: McpEndpointOptions): { router: Router; sessions: () => number; close(): Promise<void> } {
  const sessions = new Map<string, Session>();
  const idleMs = opts.idleMs ?? 30 * 60_000;
  const maxSessions = opts.maxSessions ?? 1000;
  const log = opts.logger;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const s of sessions.values()) if (now - s.lastSeen > idleMs) void s.transport.close().catch(() => {});
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  async function open(req: Request, res: Response) {
    if (sessions.size >= maxSessions) return rpcError(res, 503, -32000, `too many MCP sessions open (${maxSessions}); close one (DELETE /mcp) or try later`);
    const server = opts.newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, server, lastSeen: Date.now() });
        log.info({ sessionId, sessions: sessions.size }, 'MCP session opened');
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
      },
    });
    transport.onclose = () => {
      const sid = transport.sessionId;
      if (sid && sessions.delete(sid)) log.info({ sessionId: sid, sessions: sessions.size }, 'MCP session closed');
      void server.close().catch(() => {});
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  const router = Router();
  router.all('/mcp', async (req, res) => {
    const header = req.get('mcp-session-id');
    try {
      if (header) {
        const s = sessions.get(header);
        if (!s) return rpcError(res, 404, -32001, 'unknown or expired MCP session; initialize a new one');
        s.lastSeen = Date.now();
        await s.transport.handleRequest(req, res, req.body);
        return;
      }
      if (req.method === 'POST' && isInitializeRequest(req.body)) return await open(req, res);
      if (req.method === 'POST' && Array.isArray(req.body) && req.body.some((m) => isInitializeRequest(m))) return await open(req, res);
      return rpcError(res, 400, -32000, 'no Mcp-Session-Id: send an initialize request first (POST /mcp)');
    } catch (err) {
      log.warn({ err, sessionId: header }, 'MCP request failed');
      if (!res.headersSent) rpcError(res, 500, -32603, 'the MCP request failed on the server; see its log');
    }
  });

  return {
    router,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => {})));
      sessions.clear();
    },
  };
}
