import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { VERSION } from '../config/version.js';
import { createCodeintelMcpServer } from '../mcp/server.js';
import type { ApiClient } from './apiClient.js';
import { createHttpCodeintelService } from './httpCodeintelService.js';

/**
 * `codeintel mcp`: the MCP server on stdin/stdout for agents that launch
 * their tools as processes (Claude Code, Cursor, VS Code). stdout carries
 * the protocol only; diagnostics go to stderr.
 */
export async function runMcpStdio(api: ApiClient): Promise<void> {
  const server = createCodeintelMcpServer(createHttpCodeintelService(api), { version: VERSION });
  const transport = new StdioServerTransport();
  await server.connect(transport);
  process.stderr.write(`codeintel MCP server on stdio, using the API at ${api.baseUrl}\n`);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.close().catch(() => {});
}
