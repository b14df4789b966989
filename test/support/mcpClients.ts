import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI } from './serveProcess.js';

/** The SDK's own client over Streamable HTTP to `<url>/mcp`, with an optional bearer token or extra headers. */
export async function httpMcpClient(url: string, headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers } });
  const client = new Client({ name: 'codeintel-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** The SDK's own client over stdio to a spawned `codeintel mcp`, which talks to the API at env.CODEINTEL_URL. */
export async function stdioMcpClient(env: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'codeintel-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

export interface ToolText {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

/** Call a tool and return its text, isError and structured content. */
export async function callTool(client: Client, name: string, args: Record<string, unknown>, options: Parameters<Client['callTool']>[2] = {}): Promise<ToolText> {
  const r = await client.callTool({ name, arguments: args }, undefined, options);
  const content = (r.content ?? []) as { type: string; text?: string }[];
  return {
    isError: r.isError === true,
    text: content.map((c) => c.text ?? '').join('\n'),
    structured: r.structuredContent as Record<string, unknown> | undefined,
  };
}
