import { Router } from 'express';
import { z } from 'zod';
import { REPO_NAME_PATTERN } from '../../contracts/names.js';
import { MAX_READ_LINES, type SourceView } from '../../retrieval/sourceView.js';
import { ProblemError } from '../problem.js';

/**
 * The indexed snapshot of a repo, read back (added for the MCP tools
 * read_lines and find_symbol, so both MCP transports share one path):
 *   GET /v1/repos/:name/lines?path=src/a.ts&start=1&end=40
 *   GET /v1/repos/:name/symbols?name=RateLimiter
 */

const linesQuery = z
  .object({
    path: z.string().min(1, 'required').max(4096),
    start: z.coerce.number().int().min(1),
    end: z.coerce.number().int().min(1),
  })
  .strict();

const symbolsQuery = z
  .object({
    name: z.string().trim().min(1, 'required').max(200),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

function parseQuery<S extends z.ZodTypeAny>(schema: S, query: unknown): z.infer<S> {
  const result = schema.safeParse(query);
  if (!result.success) {
    const errors = result.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message }));
    throw new ProblemError(400, 'invalid-query', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  return result.data;
}

function repoName(raw: string): string {
  if (!REPO_NAME_PATTERN.test(raw)) throw new ProblemError(400, 'invalid-repo', `"${raw}" is not a repo name (letters, digits, ".", "_", "-")`);
  return raw;
}

export function sourceRoutes(deps: { source: SourceView }) {
  const router = Router();
  router.get('/v1/repos/:name/lines', async (req, res) => {
    const q = parseQuery(linesQuery, req.query);
    if (q.end - q.start + 1 > MAX_READ_LINES) {
      throw new ProblemError(400, 'range-too-large', `at most ${MAX_READ_LINES} lines per read; ask for start=${q.start}&end=${q.start + MAX_READ_LINES - 1} and page on`);
    }
    res.json(await deps.source.readLines({ repo: repoName(req.params.name), path: q.path, startLine: q.start, endLine: q.end }));
  });
  router.get('/v1/repos/:name/symbols', async (req, res) => {
    const q = parseQuery(symbolsQuery, req.query);
    res.json(await deps.source.findSymbol({ repo: repoName(req.params.name), name: q.name, limit: q.limit }));
  });
  return router;
}
