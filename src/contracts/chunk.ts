import { z } from 'zod';

/**
 * What a file is for, so ranking can put the definitions a user asks about
 * before the tests that call them and the guides that mention them.
 * Classified by src/repo/fileRole.ts.
 */
/** New roles go at the end: a role's position is its id in the catalog's postings. */
export const FILE_ROLES = ['source', 'test', 'docs', 'example', 'benchmark', 'generated', 'config', 'declarations'] as const;
export const fileRoleSchema = z.enum(FILE_ROLES);
export type FileRole = z.infer<typeof fileRoleSchema>;

/** A piece of a source file: the unit that is embedded, expanded and searched. */
export const chunkSchema = z.object({
  /** Content-derived id: sha256(path + NUL + text), hex, first 32 chars. Stable across runs. */
  id: z.string().regex(/^[0-9a-f]{32}$/),
  /** Path relative to the repo root, with forward slashes. */
  path: z.string().min(1),
  /** 1-based, inclusive. */
  startLine: z.number().int().positive(),
  /** 1-based, inclusive. */
  endLine: z.number().int().positive(),
  language: z.string(),
  /** Names of the functions/classes/methods the chunk covers (may be empty). */
  symbols: z.array(z.string()),
  /** Doc comments (and docstrings) of those definitions, without comment markers; '' when none. Also inside `text`. */
  doc: z.string().optional(),
  /** The summary of each doc in `doc` (src/chunking/docSummary.ts), one per line; absent in artifacts written before it existed. */
  summary: z.string().optional(),
  /** The file's role (absent in artifacts written before roles existed: read as 'source'). */
  role: fileRoleSchema.optional(),
  text: z.string(),
});
export type Chunk = z.infer<typeof chunkSchema>;
