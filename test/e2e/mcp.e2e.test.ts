import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { callTool, httpMcpClient, stdioMcpClient } from '../support/mcpClients.js';
import { runCli, startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, testEnv } from '../support/stack.js';

/**
 * The MCP server through the SDK's own Client, against real processes: a
 * `codeintel serve` child (its /mcp over Streamable HTTP) and a spawned
 * `codeintel mcp` (stdio) that talks to that server's API. Every tool runs
 * on the fixture repo over both transports.
 */

const TOOLS = ['ask', 'find_symbol', 'index_repository', 'index_status', 'list_repositories', 'read_lines', 'search_code'];

let serve: ServeProcess;
let env: Record<string, string>;
let dataDir: string;
let prefix: string;
const clients: Record<'http' | 'stdio', Client> = {} as never;

beforeAll(async () => {
  ({ env, dataDir, prefix } = await testEnv({ LOG_LEVEL: 'info' }));
  serve = await startServeProcess(env);
  env.CODEINTEL_URL = serve.url;
  const indexed = await runCli(['index', SAMPLE_REPO, '--name', 'sample', '--wait'], env);
  expect(indexed.code, indexed.stderr).toBe(0);
  clients.http = (await httpMcpClient(serve.url)).client;
  clients.stdio = (await stdioMcpClient(env)).client;
});

afterAll(async () => {
  await clients.http?.close();
  await clients.stdio?.close();
  expect(await serve?.stop()).toBe(0);
  await dropPrefix(prefix);
  await removeDir(dataDir);
});

describe.each(['http', 'stdio'] as const)('MCP over %s', (transport) => {
  const client = () => clients[transport];

  it('lists the seven tools, each with an input schema, and an output schema where it returns structured content', async () => {
    const { tools } = await client().listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
    }
    const search = tools.find((t) => t.name === 'search_code')!;
    expect(Object.keys(search.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['repo', 'query', 'k', 'filters', 'maxTokens']));
    expect(search.inputSchema.required).toEqual(expect.arrayContaining(['repo', 'query']));
  });

  it('search_code ranks the defining chunk first, as path:start-end with its symbol, role and best-matching lines', async () => {
    const r = await callTool(client(), 'search_code', { repo: 'sample', query: 'compute_interest annual_rate periods_per_year', k: 3 });
    expect(r.isError, r.text).toBe(false);
    const hits = r.structured!.hits as { location: string; path: string; startLine: number; endLine: number; symbol: string | null; role: string; lines: string; linesStart: number }[];
    expect(hits[0].path).toBe('bank/account.py');
    expect(hits[0].location).toBe(`bank/account.py:${hits[0].startLine}-${hits[0].endLine}`);
    expect(hits[0].role).toBe('source');
    expect(hits[0].lines).toContain('compute_interest');
    const file = (await fs.readFile(path.join(SAMPLE_REPO, 'bank/account.py'), 'utf8')).split('\n');
    const shown = hits[0].lines.split('\n');
    expect(file.slice(hits[0].linesStart - 1, hits[0].linesStart - 1 + shown.length)).toEqual(shown);
    expect(r.text).toMatch(/^1\. bank\/account\.py:\d+-\d+/);
  });

  it('search_code stays within maxTokens and says how many hits it left out', async () => {
    const r = await callTool(client(), 'search_code', { repo: 'sample', query: 'config rate limiter account', k: 10, maxTokens: 120 });
    expect(r.isError, r.text).toBe(false);
    expect(r.structured!.tokens as number).toBeLessThanOrEqual(120);
    expect(r.structured!.tokens as number).toBeGreaterThan(0);
    expect(r.structured!.omitted as number).toBeGreaterThan(0);
    expect(r.text).toMatch(/more hits? left out to stay within 120 tokens/);
  });

  it('search_code filters by role: docs only', async () => {
    const r = await callTool(client(), 'search_code', { repo: 'sample', query: 'rate limiter config account', k: 5, filters: { roles: ['docs'] } });
    expect(r.isError, r.text).toBe(false);
    const hits = r.structured!.hits as { path: string; role: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.role === 'docs' && h.path === 'README.md')).toBe(true);
  });

  it('list_repositories names the fixture repo with its version, files, chunks and embedding model', async () => {
    const r = await callTool(client(), 'list_repositories', {});
    expect(r.isError, r.text).toBe(false);
    expect(r.structured!.repositories).toEqual([
      expect.objectContaining({ name: 'sample', version: 1, files: 5, embeddingModel: 'hashing-lexical-v1', chunks: expect.any(Number), updatedAt: expect.any(String) }),
    ]);
  });

  it('read_lines returns the indexed lines of a file, exactly as on disk', async () => {
    const r = await callTool(client(), 'read_lines', { repo: 'sample', path: 'src/rateLimiter.ts', startLine: 1, endLine: 12 });
    expect(r.isError, r.text).toBe(false);
    const file = (await fs.readFile(path.join(SAMPLE_REPO, 'src/rateLimiter.ts'), 'utf8')).split('\n');
    expect(r.structured!.text).toBe(file.slice(0, 12).join('\n'));
    expect(r.structured!.totalLines).toBeGreaterThan(12);
    expect(r.text).toMatch(/read on from 13/);
  });

  it('find_symbol gives the definitions of a name, with the line that declares it', async () => {
    const r = await callTool(client(), 'find_symbol', { repo: 'sample', name: 'limiterFor' });
    expect(r.isError, r.text).toBe(false);
    const defs = r.structured!.definitions as { symbol: string; path: string; line: number; signature: string }[];
    expect(defs).toEqual([expect.objectContaining({ symbol: 'limiterFor', path: 'src/rateLimiter.ts' })]);
    const file = (await fs.readFile(path.join(SAMPLE_REPO, 'src/rateLimiter.ts'), 'utf8')).split('\n');
    expect(file[defs[0].line - 1]).toMatch(/function limiterFor/);
    expect(r.text).toContain(`src/rateLimiter.ts:${defs[0].line}`);
    const none = await callTool(client(), 'find_symbol', { repo: 'sample', name: 'noSuchThing' });
    expect(none.isError).toBe(false);
    expect(none.text).toMatch(/no definition named "noSuchThing"/);
  });

  it('ask answers with citations and streams the partial text as progress notifications', async () => {
    const partial: string[] = [];
    const r = await callTool(
      client(),
      'ask',
      { repo: 'sample', question: 'How does the rate limiter refill its tokens?' },
      { onprogress: (p) => void (p.message && partial.push(p.message)), timeout: 60_000 },
    );
    expect(r.isError, r.text).toBe(false);
    const citations = r.structured!.citations as { path: string }[];
    expect(citations.length).toBeGreaterThan(0);
    expect(r.text).toContain('Sources:');
    expect(partial.length).toBeGreaterThan(0);
    expect((r.structured!.answer as string).startsWith(partial[0])).toBe(true);
  });

  it('index_repository with wait re-indexes, sends progress, then gives the result; index_status shows the job', async () => {
    const progress: number[] = [];
    const r = await callTool(
      client(),
      'index_repository',
      { repo: SAMPLE_REPO, name: 'sample', wait: true },
      { onprogress: (p) => void progress.push(p.progress), timeout: 120_000, resetTimeoutOnProgress: true },
    );
    expect(r.isError, r.text).toBe(false);
    expect(r.structured).toMatchObject({ state: 'completed', repo: 'sample', result: { files: 5 } });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const status = await callTool(client(), 'index_status', { jobId: r.structured!.jobId });
    expect(status.isError, status.text).toBe(false);
    expect(status.structured).toMatchObject({ jobId: r.structured!.jobId, state: 'completed' });
  });

  it('offers each indexed repo as a resource codeintel://repo/<name>', async () => {
    const { resources } = await client().listResources();
    expect(resources.map((r) => r.uri)).toContain('codeintel://repo/sample');
    const read = await client().readResource({ uri: 'codeintel://repo/sample' });
    expect(JSON.parse(String((read.contents[0] as { text?: string }).text))).toMatchObject({ name: 'sample', files: 5 });
  });

  describe('errors are tool results with isError and a message a person can act on', () => {
    it('an unknown repo', async () => {
      const r = await callTool(client(), 'search_code', { repo: 'nope', query: 'x' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/repo "nope" has no committed index.*list_repositories/);
    });

    it('a bad argument', async () => {
      const r = await callTool(client(), 'read_lines', { repo: 'sample', path: 'src/config.ts', startLine: 0, endLine: 'ten' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/startLine|endLine/);
    });

    it('a path outside the repo for read_lines', async () => {
      const r = await callTool(client(), 'read_lines', { repo: 'sample', path: '../../../etc/passwd', startLine: 1, endLine: 5 });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/not a file inside the repo/);
      const abs = await callTool(client(), 'read_lines', { repo: 'sample', path: '/etc/passwd', startLine: 1, endLine: 5 });
      expect(abs.isError).toBe(true);
    });

    it('a file that was not indexed, and a range over the bound', async () => {
      const missing = await callTool(client(), 'read_lines', { repo: 'sample', path: 'src/nothere.ts', startLine: 1, endLine: 5 });
      expect(missing.isError).toBe(true);
      expect(missing.text).toMatch(/not a file of the indexed snapshot/);
      const big = await callTool(client(), 'read_lines', { repo: 'sample', path: 'src/config.ts', startLine: 1, endLine: 1000 });
      expect(big.isError).toBe(true);
      expect(big.text).toMatch(/at most 400 lines/);
    });

    it('a repository path the server cannot index', async () => {
      const relative = await callTool(client(), 'index_repository', { repo: 'relative/path' });
      expect(relative.isError).toBe(true);
      expect(relative.text).toMatch(/absolute/);
      const missing = await callTool(client(), 'index_repository', { repo: '/no/such/dir/anywhere' });
      expect(missing.isError).toBe(true);
      expect(missing.text).toMatch(/no\/such\/dir|not exist|not found|cannot/i);
    });

    it('an unknown job', async () => {
      const r = await callTool(client(), 'index_status', { jobId: 'no-such-job' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/no index job with id "no-such-job"/);
    });
  });
});

describe('codeintel mcp without a reachable API', () => {
  it('answers each tool call with isError saying where it looked and how to start the API', async () => {
    const { client } = await stdioMcpClient({ ...env, CODEINTEL_URL: 'http://127.0.0.1:9' });
    try {
      const r = await callTool(client, 'list_repositories', {});
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/cannot reach the codeintel API at http:\/\/127\.0\.0\.1:9.*codeintel serve/);
    } finally {
      await client.close();
    }
  });
});

describe('/mcp over Streamable HTTP', () => {
  it('refuses a foreign Origin with 403, and accepts the server own origin', async () => {
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const foreign = await fetch(`${serve.url}/mcp`, { method: 'POST', headers: { ...headers, origin: 'http://evil.example' }, body: JSON.stringify(init) });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { type: string }).type).toMatch(/origin-not-allowed/);
    const own = await fetch(`${serve.url}/mcp`, { method: 'POST', headers: { ...headers, origin: serve.url }, body: JSON.stringify(init) });
    expect(own.status).toBe(200);
    expect(own.headers.get('mcp-session-id')).toBeTruthy();
    await own.body?.cancel();
  });

  it('keeps two concurrent sessions apart', async () => {
    const a = await httpMcpClient(serve.url);
    const b = await httpMcpClient(serve.url);
    try {
      expect(a.transport.sessionId).toBeTruthy();
      expect(b.transport.sessionId).toBeTruthy();
      expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
      const [ra, rb] = await Promise.all([
        callTool(a.client, 'search_code', { repo: 'sample', query: 'parse the config file', k: 1 }),
        callTool(b.client, 'search_code', { repo: 'sample', query: 'rate limiter take token bucket', k: 1 }),
      ]);
      expect((ra.structured!.hits as { path: string }[])[0].path).toBe('src/config.ts');
      expect((rb.structured!.hits as { path: string }[])[0].path).toBe('src/rateLimiter.ts');
      await a.transport.terminateSession();
      // b is untouched by a's end
      expect((await callTool(b.client, 'list_repositories', {})).isError).toBe(false);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('an unknown session id is a 404, a request without one a 400', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const body = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect((await fetch(`${serve.url}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'nope' }, body })).status).toBe(404);
    expect((await fetch(`${serve.url}/mcp`, { method: 'POST', headers, body })).status).toBe(400);
  });
});

describe('/mcp with API_TOKENS set', () => {
  let secured: ServeProcess;
  let securedEnv: Record<string, string>;
  beforeAll(async () => {
    ({ env: securedEnv } = await testEnv({ API_TOKENS: 'mcp-secret' }));
    secured = await startServeProcess(securedEnv);
  });
  afterAll(async () => {
    await secured?.stop();
    await dropPrefix(securedEnv.REDIS_PREFIX);
    await removeDir(securedEnv.DATA_DIR);
  });

  it('needs the bearer token, over HTTP and for codeintel mcp', async () => {
    await expect(httpMcpClient(secured.url)).rejects.toThrow(/401|Unauthorized|bearer/i);
    const ok = await httpMcpClient(secured.url, { authorization: 'Bearer mcp-secret' });
    expect((await callTool(ok.client, 'list_repositories', {})).text).toMatch(/no repository is indexed yet/);
    await ok.client.close();

    const stdio = await stdioMcpClient({ ...securedEnv, CODEINTEL_URL: secured.url, CODEINTEL_TOKEN: 'mcp-secret' });
    expect((await callTool(stdio.client, 'list_repositories', {})).isError).toBe(false);
    await stdio.client.close();
    const wrong = await stdioMcpClient({ ...securedEnv, CODEINTEL_URL: secured.url, CODEINTEL_TOKEN: 'wrong' });
    const denied = await callTool(wrong.client, 'list_repositories', {});
    expect(denied.isError).toBe(true);
    expect(denied.text).toMatch(/bearer token is not valid/);
    await wrong.client.close();
  });

  it('still refuses a foreign Origin on /mcp, even with a valid token', async () => {
    const res = await fetch(`${secured.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer mcp-secret', origin: 'https://evil.example' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    expect(res.status).toBe(403);
  });
});
