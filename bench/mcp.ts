/**
 * bench:mcp — what MCP adds to a search. Against `codeintel serve` running as
 * a child process, with this project's own src/ indexed (a few hundred real
 * TypeScript files), the same queries go, interleaved in one run, through:
 *   (a) POST /v1/search over HTTP (the baseline);
 *   (b) search_code over Streamable HTTP (/mcp on the same server);
 *   (c) search_code over stdio (`codeintel mcp`, a child that calls (a)).
 * Each MCP call includes fitting the hits to the default 2,000-token budget
 * with the BPE tokenizer. Times are client-side, from request to parsed reply.
 *
 * BENCH_ROUNDS (default 10) repeats the query list; BENCH_REPO indexes another directory.
 *
 * Last line: {"search_code_p50_ms", "search_code_p95_ms", "http_search_p95_ms", "mean_result_tokens", ...per-transport figures}
 */
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { removeDir } from '../test/fixtures/repoHelpers.js';
import { callTool, httpMcpClient, stdioMcpClient } from '../test/support/mcpClients.js';
import { ROOT, runCli, startServeProcess, type ServeProcess } from '../test/support/serveProcess.js';
import { dropPrefix, testEnv } from '../test/support/stack.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const REPO_DIR = process.env.BENCH_REPO ?? path.join(ROOT, 'src');
const log = (msg: string) => process.stderr.write(`[bench:mcp] ${msg}\n`);

const QUERIES = [
  'reciprocal rank fusion of channel rankings',
  'retry with exponential backoff and jitter',
  'circuit breaker half open state',
  'parse a path glob into a regular expression',
  'manifest commit swaps CURRENT atomically',
  'BM25 impact scores in DuckDB',
  'SPLADE query expansion cache',
  'load a FAISS index from disk',
  'bearer token authentication middleware',
  'git clone a repository url',
  'split source into chunks with tree-sitter',
  'embed a batch and halve it on out of memory',
  'answer events published to a redis stream',
  'problem document for an error',
  'readiness checks of dependencies',
  'opensearch bulk indexing retry',
  'neo4j cypher for chunk nodes',
  'token budget truncation of long text',
  'repo name validation pattern',
  'garbage collection of old manifest versions',
];

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

async function main() {
  const { env, dataDir, prefix } = await testEnv({ LOG_LEVEL: 'warn' });
  let serve: ServeProcess | null = null;
  const clients: Client[] = [];
  try {
    serve = await startServeProcess(env);
    env.CODEINTEL_URL = serve.url;
    log(`indexing ${REPO_DIR}`);
    const indexed = await runCli(['index', REPO_DIR, '--name', 'bench', '--wait'], env, 600_000);
    if (indexed.code !== 0) throw new Error(`indexing failed: ${indexed.stderr}`);
    log(indexed.stdout.trim());

    const http = (await httpMcpClient(serve.url)).client;
    const stdio = (await stdioMcpClient(env)).client;
    clients.push(http, stdio);
    const postSearch = async (query: string) => {
      const res = await fetch(`${serve!.url}/v1/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo: 'bench', query, k: 10 }) });
      if (!res.ok) throw new Error(`POST /v1/search: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const searchCode = async (client: Client, query: string) => {
      const r = await callTool(client, 'search_code', { repo: 'bench', query, k: 10 });
      if (r.isError) throw new Error(`search_code: ${r.text}`);
      return r.structured!.tokens as number;
    };

    // warm-up: readers, the tokenizer in both MCP processes, connections
    for (const q of QUERIES.slice(0, 3)) {
      await postSearch(q);
      await searchCode(http, q);
      await searchCode(stdio, q);
    }

    const times = { http_search: [] as number[], mcp_http: [] as number[], mcp_stdio: [] as number[] };
    const tokens: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const q of QUERIES) {
        // the three paths take turns on each query, so drift (GC, caches) falls on all of them alike
        const [a] = await timed(() => postSearch(q));
        const [b, tb] = await timed(() => searchCode(http, q));
        const [c, tc] = await timed(() => searchCode(stdio, q));
        times.http_search.push(a);
        times.mcp_http.push(b);
        times.mcp_stdio.push(c);
        tokens.push(tb, tc);
      }
    }
    const both = [...times.mcp_http, ...times.mcp_stdio];
    const result = {
      search_code_p50_ms: r2(percentile(both, 50)),
      search_code_p95_ms: r2(percentile(both, 95)),
      http_search_p95_ms: r2(percentile(times.http_search, 95)),
      mean_result_tokens: Math.round(tokens.reduce((s, t) => s + t, 0) / tokens.length),
      http_search_p50_ms: r2(percentile(times.http_search, 50)),
      search_code_streamable_http_p50_ms: r2(percentile(times.mcp_http, 50)),
      search_code_streamable_http_p95_ms: r2(percentile(times.mcp_http, 95)),
      search_code_stdio_p50_ms: r2(percentile(times.mcp_stdio, 50)),
      search_code_stdio_p95_ms: r2(percentile(times.mcp_stdio, 95)),
      mcp_added_p95_ms: r2(Math.max(percentile(times.mcp_http, 95), percentile(times.mcp_stdio, 95)) - percentile(times.http_search, 95)),
      samples_per_path: times.http_search.length,
      indexed: indexed.stdout.trim(),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await serve?.stop();
    await dropPrefix(prefix);
    await removeDir(dataDir);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
