import { Router } from 'express';
import { z } from 'zod';
import { CHANNELS, type SearchService } from '../../retrieval/searchService.js';
import { pathGlobsSchema } from '../pathGlobSchema.js';
import { parseBody } from '../validate.js';
import { REPO_NAME_PATTERN } from '../../contracts/names.js';
import { FILE_ROLES, fileRoleSchema } from '../../contracts/chunk.js';

export const searchBody = z
  .object({
    repo: z.string().regex(REPO_NAME_PATTERN, 'must be an indexed repo name (letters, digits, ".", "_", "-")'),
    query: z.string().trim().min(1, 'must not be empty').max(4000),
    k: z.number().int().min(1).max(100).default(10),
    channels: z.array(z.enum(CHANNELS)).min(1).max(3).optional(),
    filters: z
      .object({
        paths: pathGlobsSchema.optional(),
        languages: z.array(z.string().min(1).max(50)).max(50).optional(),
        roles: z.array(fileRoleSchema).min(1).max(FILE_ROLES.length).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export function searchRoutes(deps: { search: SearchService }) {
  const router = Router();
  router.post('/v1/search', async (req, res) => {
    const body = parseBody(searchBody, req.body);
    const result = await deps.search.search(body);
      res.json({
        hits: result.hits.map(({ content: _content, ...hit }) => hit),
        timingsMs: result.timingsMs,
        ...(result.dropped.length ? { dropped: result.dropped } : {}),
        ...(result.fallbacks?.length ? { fallbacks: result.fallbacks } : {}),
        manifestVersion: result.manifestVersion,
      });
  });
  return router;
}
