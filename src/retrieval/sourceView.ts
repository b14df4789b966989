import { InvalidInputError } from '../errors/invalidInputError.js';
import { NotFoundError } from '../errors/notFoundError.js';
import { RepoNotIndexedError } from '../errors/repoNotIndexedError.js';
import type { RepoReaders } from './repoReaders.js';

/**
 * Reading the indexed snapshot of a repo: line ranges of a file and symbol
 * definitions. Everything comes from the committed version's chunk catalog,
 * never from the disk, so a path can only name a file that was indexed (no
 * path outside the repo can be read) and the text is what search ranked.
 * Chunks cover every non-blank line of a file, so lines no chunk covers are
 * blank lines.
 */

/** The most lines one read returns: an agent reads in pages, not whole files. */
export const MAX_READ_LINES = 400;

export interface ReadLinesRequest {
  repo: string;
  path: string;
  startLine: number;
  endLine: number;
}

export interface ReadLinesResult {
  repo: string;
  path: string;
  language: string;
  startLine: number;
  endLine: number;
  /** the last line the index knows of the file (trailing blank lines are not kept) */
  totalLines: number;
  lines: string[];
  manifestVersion: number;
}

export interface SymbolDefinition {
  symbol: string;
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  /** the line that names the symbol (its declaration), within startLine..endLine */
  line: number;
  /** that line's text */
  signature: string;
}

export interface FindSymbolResult {
  repo: string;
  name: string;
  definitions: SymbolDefinition[];
  manifestVersion: number;
}

/** A path as the manifest keys it: relative, forward slashes, no "." or ".." segments. */
function checkRelativePath(path: string): string {
  const clean = path.replace(/\\/g, '/').replace(/^\.\//, '');
  if (clean === '' || clean.startsWith('/') || /^[A-Za-z]:/.test(clean) || clean.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new InvalidInputError('path-outside-repo', `path "${path}" is not a file inside the repo; give a repo-relative path such as "src/index.ts"`, { path });
  }
  return clean;
}

export function createSourceView(deps: { readers: RepoReaders }) {
  async function reader(repo: string) {
    const r = await deps.readers.get(repo);
    if (!r) throw new RepoNotIndexedError(repo);
    return r;
  }

  return {
    async readLines(req: ReadLinesRequest): Promise<ReadLinesResult> {
      const path = checkRelativePath(req.path);
      if (!Number.isInteger(req.startLine) || req.startLine < 1) throw new InvalidInputError('invalid-range', 'startLine must be an integer ≥ 1');
      if (!Number.isInteger(req.endLine) || req.endLine < req.startLine) throw new InvalidInputError('invalid-range', 'endLine must be an integer ≥ startLine');
      if (req.endLine - req.startLine + 1 > MAX_READ_LINES) {
        throw new InvalidInputError('range-too-large', `at most ${MAX_READ_LINES} lines per read; ask for ${req.startLine}-${req.startLine + MAX_READ_LINES - 1} and page on`);
      }
      const r = await reader(req.repo);
      if (!(path in r.manifest.files)) {
        throw new NotFoundError('file-not-indexed', `"${path}" is not a file of the indexed snapshot of "${req.repo}" (v${r.manifest.version}); search_code or find_symbol give indexed paths`, { repo: req.repo, path });
      }
      const chunks = await r.catalog.fileChunks(path);
      const totalLines = chunks.reduce((max, c) => Math.max(max, c.endLine), 0);
      const start = req.startLine;
      const end = Math.min(req.endLine, totalLines);
      if (start > totalLines) {
        throw new InvalidInputError('invalid-range', `"${path}" has ${totalLines} lines in the index; startLine ${start} is past its end`, { totalLines });
      }
      const lines: string[] = new Array(end - start + 1).fill('');
      for (const c of chunks) {
        if (c.endLine < start || c.startLine > end) continue;
        const text = c.content.split('\n');
        for (let n = Math.max(c.startLine, start); n <= Math.min(c.endLine, end); n++) lines[n - start] = text[n - c.startLine] ?? '';
      }
      return { repo: req.repo, path, language: chunks[0]?.language ?? r.manifest.files[path].language, startLine: start, endLine: end, totalLines, lines, manifestVersion: r.manifest.version };
    },

    async findSymbol(req: { repo: string; name: string; limit?: number }): Promise<FindSymbolResult> {
      const name = req.name.trim();
      if (!name) throw new InvalidInputError('invalid-name', 'name must not be empty');
      const r = await reader(req.repo);
      const rows = await r.catalog.symbolChunks(name, req.limit ?? 50);
      const definitions: SymbolDefinition[] = [];
      for (const row of rows) {
        for (const symbol of row.symbols) {
          if (symbol !== name && !symbol.endsWith(`.${name}`)) continue;
          const text = row.content.split('\n');
          const short = symbol.slice(symbol.lastIndexOf('.') + 1);
          let at = text.findIndex((l) => new RegExp(`\\b${short.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(l));
          if (at < 0) at = Math.max(0, text.findIndex((l) => l.trim()));
          definitions.push({
            symbol,
            path: row.path,
            startLine: row.startLine,
            endLine: row.endLine,
            language: row.language,
            line: row.startLine + at,
            signature: (text[at] ?? '').trim().slice(0, 200),
          });
        }
      }
      return { repo: req.repo, name, definitions, manifestVersion: r.manifest.version };
    },
  };
}

export type SourceView = ReturnType<typeof createSourceView>;
