import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CodeintelService } from './service.js';
import { tokenCounter, type TokenCounter } from './tokenBudget.js';
import { registerAsk } from './tools/ask.js';
import { registerIndexTools } from './tools/indexing.js';
import { registerRepositories } from './tools/repositories.js';
import { registerSearchCode } from './tools/searchCode.js';
import { registerSnapshotTools } from './tools/snapshot.js';

export { DEFAULT_MAX_TOKENS } from './tools/searchCode.js';

/**
 * The codeintel MCP server: seven tools and one resource per indexed repo,
 * over any CodeintelService. Both transports build it the same way (stdio in
 * `codeintel mcp`, Streamable HTTP at /mcp), one server per session.
 * A tool never throws: a failure is a result with isError and a message
 * that says what to do next.
 */

export interface McpServerOptions {
  version: string;
  /** how long index_repository with wait follows a run before it answers with the job id (default 30 min) */
  maxWaitMs?: number;
  /** how often a waiting index_repository polls the job (default 500 ms) */
  pollMs?: number;
  /** ask gives up when no answer text arrives within this long: no answer worker, or one stuck (default 45 s, under clients' usual 60 s) */
  askFirstTextMs?: number;
  tokens?: () => Promise<TokenCounter>;
}

export function createCodeintelMcpServer(service: CodeintelService, opts: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'codeintel', version: opts.version },
    {
      instructions:
        'Search and read indexed code repositories. Start with list_repositories, then search_code (ranked, token-bounded hits), ' +
        'find_symbol for definitions, read_lines to read more of a file, ask for an answer with citations.',
    },
  );
  const tokens = opts.tokens ?? tokenCounter;
  registerSearchCode(server, service, tokens);
  registerAsk(server, service, opts);
  registerIndexTools(server, service, opts);
  registerRepositories(server, service);
  registerSnapshotTools(server, service);
  return server;
}
