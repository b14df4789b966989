import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CodeintelService } from '../service.js';
import { fail, ok } from '../toolResult.js';

/** list_repositories, and each indexed repo as the resource codeintel://repo/<name>. */

export function registerRepositories(server: McpServer, service: CodeintelService): void {
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
}
