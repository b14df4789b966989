import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CodeintelService } from '../service.js';
import { MAX_READ_LINES } from '../../retrieval/sourceView.js';
import { fail, ok, repoArg } from '../toolResult.js';

/** read_lines and find_symbol: the indexed snapshot read back (the SourceView, as GET /v1/repos/:name/lines and /symbols). */

export function registerSnapshotTools(server: McpServer, service: CodeintelService): void {
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
}
