import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';
import { pathGlobsSchema } from '../api/pathGlobSchema.js';
import { REPO_NAME_PATTERN } from '../contracts/names.js';
import { MAX_READ_LINES } from '../retrieval/sourceView.js';
import { chunkRole, ROLES } from './chunkRole.js';
import { toolErrorMessage } from './errors.js';
import type { CodeintelService, IndexJobStatus } from './service.js';
import { fitBlocks, tokenCounter, type TokenCounter } from './tokenBudget.js';

/**
 * The codeintel MCP server: seven tools and one resource per indexed repo,
 * over any CodeintelService. Both transports build it the same way (stdio in
 * `codeintel mcp`, Streamable HTTP at /mcp), one server per session.
 * A tool never throws: a failure is a result with isError and a message
 * that says what to do next.
 */

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

export const DEFAULT_MAX_TOKENS = 2000;

const repoArg = z.string().regex(REPO_NAME_PATTERN, 'must be an indexed repo name (list_repositories gives them)');

const hitSchema = z.object({
  location: z.string().describe('path:startLine-endLine'),
  path: z.string(),
  startLine: z.number(),
  endLine: z.number(),
  symbol: z.string().nullable(),
  symbols: z.array(z.string()),
  role: z.enum(ROLES),
  language: z.string(),
  score: z.number(),
  linesStart: z.number().describe('file line of the first line in `lines`'),
  lines: z.string().describe('the best-matching lines of the chunk, as they are in the file'),
});

const jobStatusSchema = {
  jobId: z.string(),
  repo: z.string(),
  state: z.enum(['waiting', 'active', 'completed', 'failed']),
  progress: z.object({
    phase: z.string(),
    files: z.object({ total: z.number(), done: z.number() }),
    chunks: z.object({ total: z.number(), embedded: z.number(), expanded: z.number(), written: z.number() }),
  }),
  result: z.record(z.unknown()).optional(),
  error: z.string().optional(),
};

const ok = (text: string, structured?: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text }],
  ...(structured ? { structuredContent: structured } : {}),
});

const fail = (err: unknown): CallToolResult => ({ content: [{ type: 'text', text: toolErrorMessage(err) }], isError: true });

/** A progress notification, when the client asked for them (sent a progressToken); never fails the tool. */
async function progress(extra: Extra, value: number, message: string, total?: number): Promise<void> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return;
  await extra
    .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: value, ...(total ? { total } : {}), message } })
    .catch(() => {});
}

function jobView(v: IndexJobStatus) {
  return {
    jobId: v.jobId,
    repo: v.repo,
    state: v.state,
    progress: v.progress,
    ...(v.result ? { result: v.result as unknown as Record<string, unknown> } : {}),
    ...(v.error ? { error: v.error.detail ?? 'the run failed' } : {}),
  };
}

function describeJob(v: IndexJobStatus): string {
  if (v.state === 'completed' && v.result) {
    const r = v.result;
    return `index run ${v.jobId} of "${v.repo}" completed: v${r.manifestVersion}, ${r.files} files, ${r.chunks} chunks (+${r.added} ~${r.changed} -${r.deleted}) in ${(r.durationMs / 1000).toFixed(1)} s`;
  }
  if (v.state === 'failed') return `index run ${v.jobId} of "${v.repo}" failed: ${v.error?.detail ?? 'unknown reason'}`;
  return `index run ${v.jobId} of "${v.repo}" is ${v.state} (${phaseText(v)})`;
}

function phaseText(v: IndexJobStatus): string {
  const p = v.progress;
  if (p.phase === 'plan') return 'planning';
  if (p.phase === 'chunk') return `chunking: ${p.files.done}/${p.files.total} files`;
  return `${p.phase}: ${p.chunks.written}/${p.chunks.total} chunks written`;
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

  server.registerTool(
    'search_code',
    {
      title: 'Search code',
      description:
        'Hybrid (semantic + keyword) search in an indexed repo. Returns ranked hits as path:startLine-endLine with symbol, role, score and the best-matching lines, fitted to maxTokens.',
      inputSchema: {
        repo: repoArg,
        query: z.string().trim().min(1, 'must not be empty').max(4000).describe('what to look for, in words or identifiers'),
        k: z.number().int().min(1).max(50).default(10).describe('how many hits at most'),
        filters: z
          .object({
            paths: pathGlobsSchema.optional().describe('path globs over repo-relative paths, e.g. ["src/**", "*.py"]'),
            languages: z.array(z.string().min(1).max(50)).max(50).optional(),
            roles: z.array(z.enum(ROLES)).min(1).optional().describe('keep only these file roles'),
          })
          .strict()
          .optional(),
        maxTokens: z.number().int().min(100).max(50_000).default(DEFAULT_MAX_TOKENS).describe('token budget of the result text'),
      },
      outputSchema: {
        repo: z.string(),
        manifestVersion: z.number(),
        hits: z.array(hitSchema),
        omitted: z.number().describe('hits left out to stay within maxTokens'),
        tokens: z.number().describe('tokens of the result text'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ repo, query, k, filters, maxTokens }) => {
      try {
        const roles = filters?.roles;
        const searchFilters = filters && (filters.paths || filters.languages) ? { paths: filters.paths, languages: filters.languages } : undefined;
        // roles are filtered after ranking, so ask for more when they will drop some
        const r = await service.search({ repo, query, k: roles ? Math.min(100, k * 3) : k, filters: searchFilters });
        const hits = r.hits
          .map((h) => ({ ...h, role: chunkRole(h.path) }))
          .filter((h) => !roles || roles.includes(h.role))
          .slice(0, k);
        const counter = await tokens();
        const blocks = hits.map((h, i) => ({
          head: `${i + 1}. ${h.path}:${h.startLine}-${h.endLine}${h.symbols.length ? `  ${h.symbols.slice(0, 3).join(', ')}` : ''}  [${h.role}, ${h.language}, score ${h.score.toFixed(4)}]`,
          lines: h.preview.split('\n').map((line, j) => `${String(h.previewStartLine + j).padStart(5)}  ${line}`),
        }));
        const fitted = fitBlocks(blocks, maxTokens, counter);
        const kept = hits.slice(0, fitted.kept).map((h, i) => {
          const lineCount = fitted.keptLines[i];
          return {
            location: `${h.path}:${h.startLine}-${h.endLine}`,
            path: h.path,
            startLine: h.startLine,
            endLine: h.endLine,
            symbol: h.symbols[0] ?? null,
            symbols: h.symbols,
            role: h.role,
            language: h.language,
            score: h.score,
            linesStart: h.previewStartLine,
            lines: h.preview.split('\n').slice(0, lineCount).join('\n'),
          };
        });
        const omitted = hits.length - fitted.kept;
        const text = hits.length
          ? `${fitted.text}${omitted ? `\n\n(${omitted} more hit${omitted > 1 ? 's' : ''} left out to stay within ${maxTokens} tokens; raise maxTokens or narrow the query)` : ''}`
          : `no hits for "${query}" in ${repo} v${r.manifestVersion}${filters ? ' with these filters' : ''}`;
        return ok(text, { repo, manifestVersion: r.manifestVersion, hits: kept, omitted, tokens: fitted.tokens });
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerTool(
    'ask',
    {
      title: 'Ask about a repo',
      description:
        'Answer a question about an indexed repo from its code, with numbered citations (path:startLine-endLine). While the answer is written, progress notifications carry the text so far.',
      inputSchema: { repo: repoArg, question: z.string().trim().min(1, 'must not be empty').max(4000) },
      outputSchema: {
        answer: z.string(),
        citations: z.array(z.object({ n: z.number(), path: z.string(), startLine: z.number(), endLine: z.number() })),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ repo, question }, extra) => {
      const firstTextMs = opts.askFirstTextMs ?? 45_000;
      const stop = new AbortController();
      const onCancel = () => stop.abort();
      extra.signal.addEventListener('abort', onCancel, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, firstTextMs);
      try {
        let sent = 0;
        let pending: Promise<void> = Promise.resolve();
        const r = await service.ask(
          { repo, question },
          (textSoFar) => {
            clearTimeout(timer); // the answer is being written: it may take as long as it needs
            // progress must increase: the length of the text so far does; one notification at a time, in order
            if (textSoFar.length <= sent) return;
            sent = textSoFar.length;
            pending = pending.then(() => progress(extra, textSoFar.length, textSoFar));
          },
          stop.signal,
        );
        await pending;
        if (timedOut) {
          return fail(
            new Error(`no answer text within ${Math.round(firstTextMs / 1000)} s, so the question was cancelled; is an answer worker running (codeintel serve, or codeintel worker --role answer; /readyz lists the consumers of each queue)?`),
          );
        }
        if (r.state !== 'completed') {
          return fail(new Error(r.state === 'cancelled' ? 'the answer was cancelled before it ended' : `the answer failed: ${r.error ?? 'unknown reason'}`));
        }
        const sources = r.citations.length ? `Sources:\n${r.citations.map((c) => `  [${c.n}] ${c.path}:${c.startLine}-${c.endLine}`).join('\n')}` : 'Sources: none cited';
        return ok(`${r.answer}\n\n${sources}`, { answer: r.answer, citations: r.citations });
      } catch (err) {
        return fail(err);
      } finally {
        clearTimeout(timer);
        extra.signal.removeEventListener('abort', onCancel);
      }
    },
  );

  server.registerTool(
    'index_repository',
    {
      title: 'Index a repository',
      description:
        'Index (or re-index, incrementally) a repository: an absolute local path the server can read, or a git URL. Returns the job id; with wait=true, sends progress notifications until the run ends, then its result.',
      inputSchema: {
        repo: z.string().min(1).max(4096).describe('absolute path on the server, or a git URL'),
        name: repoArg.optional().describe('repo name (default: the directory or URL name)'),
        ref: z.string().min(1).max(255).optional().describe('git ref to index instead of the working tree'),
        wait: z.boolean().default(false),
      },
      outputSchema: { ...jobStatusSchema, attached: z.boolean().describe('true when the repo already had a run in flight and this is that run') },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async ({ repo, name, ref, wait }, extra) => {
      try {
        const { jobId, attached } = await service.submitIndex({ repo, ...(name ? { name } : {}), ...(ref ? { ref } : {}) });
        let view = await service.indexStatus(jobId);
        const deadline = Date.now() + (opts.maxWaitMs ?? 30 * 60_000);
        let step = 0;
        while (wait && view.state !== 'completed' && view.state !== 'failed' && Date.now() < deadline && !extra.signal.aborted) {
          // progress must increase from one notification to the next, whatever the phase does: count polls
          await progress(extra, ++step, phaseText(view));
          await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
          view = await service.indexStatus(jobId);
        }
        const lead = attached ? `"${view.repo}" already has an index run in flight (${jobId}); this is that run.\n` : '';
        const text =
          view.state === 'completed' || view.state === 'failed' || !wait
            ? `${lead}${wait ? describeJob(view) : `index run ${jobId} queued for "${view.repo}"; index_status with jobId "${jobId}" tells how it goes`}`
            : `${lead}${describeJob(view)}; still running, index_status with jobId "${jobId}" follows it`;
        if (view.state === 'failed') return fail(new Error(`${lead}${describeJob(view)}`));
        return ok(text, { ...jobView(view), attached });
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerTool(
    'index_status',
    {
      title: 'Index job status',
      description: "An index run's state (waiting, active, completed, failed), its progress and, once done, its result.",
      inputSchema: { jobId: z.string().min(1).max(200) },
      outputSchema: jobStatusSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ jobId }) => {
      try {
        const view = await service.indexStatus(jobId);
        return ok(describeJob(view), jobView(view));
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerTool(
    'list_repositories',
    {
      title: 'List indexed repositories',
      description: 'The indexed repos: name, index version, files, chunks, embedding model, last update.',
      outputSchema: {
        repositories: z.array(
          z.object({ name: z.string(), version: z.number(), files: z.number(), chunks: z.number(), embeddingModel: z.string(), updatedAt: z.string() }),
        ),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      try {
        const repos = (await service.listRepos()).map((r) => ({
          name: r.name,
          version: r.manifestVersion,
          files: r.files,
          chunks: r.chunks,
          embeddingModel: r.embedding.model,
          updatedAt: r.updatedAt,
        }));
        const text = repos.length
          ? repos.map((r) => `${r.name}  v${r.version}  ${r.files} files, ${r.chunks} chunks  ${r.embeddingModel}  updated ${r.updatedAt}`).join('\n')
          : 'no repository is indexed yet; index_repository indexes one';
        return ok(text, { repositories: repos });
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerTool(
    'read_lines',
    {
      title: 'Read lines of an indexed file',
      description: `Lines startLine..endLine of a file, from the indexed snapshot (what search sees), at most ${MAX_READ_LINES} per call. path is relative to the repo root.`,
      inputSchema: {
        repo: repoArg,
        path: z.string().min(1).max(4096).describe('repo-relative path, as search_code shows it'),
        startLine: z.number().int().min(1),
        endLine: z.number().int().min(1),
      },
      outputSchema: {
        repo: z.string(),
        path: z.string(),
        startLine: z.number(),
        endLine: z.number(),
        totalLines: z.number(),
        manifestVersion: z.number(),
        exact: z.boolean().describe('false: rebuilt from the index, where a block repeated verbatim in the file shows as blank lines'),
        text: z.string(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ repo, path, startLine, endLine }) => {
      try {
        const r = await service.readLines({ repo, path, startLine, endLine });
        const text = r.lines.join('\n');
        const numbered = r.lines.map((l, i) => `${String(r.startLine + i).padStart(5)}  ${l}`).join('\n');
        const more = r.endLine < r.totalLines ? `\n(${r.path} has ${r.totalLines} lines; read on from ${r.endLine + 1})` : '';
        const rebuilt = r.exact ? '' : '\n(rebuilt from the index: the file changed on disk since it was indexed, or is not on disk; a block repeated verbatim in it shows as blank lines)';
        return ok(`${r.path}:${r.startLine}-${r.endLine}\n${numbered}${more}${rebuilt}`, {
          repo: r.repo,
          path: r.path,
          startLine: r.startLine,
          endLine: r.endLine,
          totalLines: r.totalLines,
          manifestVersion: r.manifestVersion,
          exact: r.exact,
          text,
        });
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerTool(
    'find_symbol',
    {
      title: 'Find a symbol',
      description: 'Definitions (functions, classes, methods, types) whose name or qualified name matches, with their locations. "take" also finds "RateLimiter.take".',
      inputSchema: { repo: repoArg, name: z.string().trim().min(1, 'must not be empty').max(200) },
      outputSchema: {
        definitions: z.array(
          z.object({ symbol: z.string(), path: z.string(), line: z.number(), startLine: z.number(), endLine: z.number(), language: z.string(), signature: z.string() }),
        ),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ repo, name }) => {
      try {
        const r = await service.findSymbol({ repo, name });
        const text = r.definitions.length
          ? r.definitions.map((d) => `${d.symbol}  ${d.path}:${d.line} (chunk ${d.startLine}-${d.endLine})  ${d.signature}`).join('\n')
          : `no definition named "${name}" in ${repo} v${r.manifestVersion}; search_code finds uses and looser matches`;
        return ok(text, { definitions: r.definitions });
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerResource(
    'repository',
    new ResourceTemplate('codeintel://repo/{name}', {
      list: async () => ({
        resources: (await service.listRepos()).map((r) => ({
          uri: `codeintel://repo/${r.name}`,
          name: r.name,
          description: `indexed repo ${r.name}: v${r.manifestVersion}, ${r.files} files, ${r.chunks} chunks`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { title: 'Indexed repository', description: 'An indexed repo: version, size, embedding model, last update', mimeType: 'application/json' },
    async (uri, { name }) => {
      const repo = (await service.listRepos()).find((r) => r.name === String(name));
      if (!repo) throw new Error(`no indexed repo "${String(name)}"; list_repositories gives the names`);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(repo, null, 2) }] };
    },
  );

  return server;
}
