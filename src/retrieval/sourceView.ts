import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RepoSource } from '../contracts/payloads.js';
import { InvalidInputError } from '../errors/invalidInputError.js';
import { resolveInside } from '../repo/safePath.js';
import { NotFoundError } from '../errors/notFoundError.js';
import { RepoNotIndexedError } from '../errors/repoNotIndexedError.js';
import type { RepoReaders } from './repoReaders.js';

/**
 * Reading the indexed snapshot of a repo: line ranges of a file and symbol
 * definitions, from the committed version. A path can only name a file the
 * manifest lists (no path outside the repo, nothing that was not indexed).
 * The lines are the indexed bytes: the file on disk when its sha256 still is
 * the one the manifest recorded (a local working-tree repo), else rebuilt
 * from the version's chunks. Chunks cover every non-blank line, except that
 * a block repeated verbatim in one file is kept once, so a rebuilt file may
 * show such a repeat as blank lines; `exact` says which case it is.
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
  /** the file's last line (rebuilt from chunks: its last non-blank line) */
  totalLines: number;
  lines: string[];
  /** true: the indexed bytes themselves; false: rebuilt from chunks, where a line no chunk covers is '' */
  exact: boolean;
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

/** The file as it was indexed, when the disk still holds exactly those bytes (a local working tree), else null. */
async function indexedBytes(source: RepoSource, relPath: string, hash: string): Promise<string | null> {
  if (source.kind !== 'local' || source.ref) return null; // clones are removed after the run; a ref is not on disk
  const found = await resolveInside(source.root, relPath).catch(() => null);
  if (found?.kind !== 'file' || found.size > 64 * 1024 * 1024) return null;
  const bytes = await readFile(found.abs).catch(() => null);
  if (!bytes || createHash('sha256').update(bytes).digest('hex') !== hash) return null;
  return bytes.toString('utf8');
}

/** Lines of a file rebuilt from its chunks: each covered line from a chunk's text, the others ''. */
function linesFromChunks(chunks: { startLine: number; endLine: number; content: string }[]): string[] {
  const total = chunks.reduce((max, c) => Math.max(max, c.endLine), 0);
  const lines: string[] = new Array(total).fill('');
  for (const c of chunks) {
    const text = c.content.split('\n');
    for (let n = c.startLine; n <= c.endLine; n++) lines[n - 1] = text[n - c.startLine] ?? '';
  }
  return lines;
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
      const entry = r.manifest.files[path];
      const disk = await indexedBytes(r.manifest.source, path, entry.hash);
      let all: string[];
      if (disk !== null) {
        all = disk.split('\n');
        if (all.length > 1 && all[all.length - 1] === '') all.pop(); // the newline that ends the last line
      } else {
        all = linesFromChunks(await r.catalog.fileChunks(path));
      }
      const totalLines = all.length;
      const start = req.startLine;
      if (start > totalLines) {
        throw new InvalidInputError('invalid-range', `"${path}" has ${totalLines} lines in the index; startLine ${start} is past its end`, { totalLines });
      }
      const end = Math.min(req.endLine, totalLines);
      return {
        repo: req.repo,
        path,
        language: entry.language,
        startLine: start,
        endLine: end,
        totalLines,
        lines: all.slice(start - 1, end),
        exact: disk !== null,
        manifestVersion: r.manifest.version,
      };
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
