import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CodeintelService } from '../service.js';
import { pathGlobsSchema } from '../../api/pathGlobSchema.js';
import { FILE_ROLES } from '../../contracts/chunk.js';
import { fitBlocks, type TokenCounter } from '../tokenBudget.js';
import { fail, ok, repoArg } from '../toolResult.js';

/**
 * search_code: the SearchService's ranked hits (the same call as POST
 * /v1/search), each as path:start-end, symbol, role and its best-matching
 * lines, laid out within a token budget counted with a real BPE.
 */

export const DEFAULT_MAX_TOKENS = 2000;

const hitSchema = z.object({
  location: z.string().describe('path:startLine-endLine'),
  path: z.string(),
  startLine: z.number(),
  endLine: z.number(),
  symbol: z.string().nullable(),
  symbols: z.array(z.string()),
  role: z.enum(FILE_ROLES),
  language: z.string(),
  score: z.number(),
  linesStart: z.number().describe('file line of the first line in `lines`'),
  lines: z.string().describe('the best-matching lines of the chunk, as they are in the file'),
});

export function registerSearchCode(server: McpServer, service: CodeintelService, tokens: () => Promise<TokenCounter>): void {
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
            roles: z.array(z.enum(FILE_ROLES)).min(1).optional().describe('keep only these file roles'),
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
        // roles come from the index (the file's role at index time) and filter inside the search, as in POST /v1/search
        const r = await service.search({ repo, query, k, filters });
        const hits = r.hits;
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
            symbol: h.symbol,
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
}
