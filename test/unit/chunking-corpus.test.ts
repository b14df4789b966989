import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCH_LANGUAGES, CORPUS_DIR, corpusFiles } from '../../bench/langCorpus.js';
import type { Chunk } from '../../src/contracts/chunk.js';
import { createChunker, type ChunkerOptions } from '../../src/chunking/index.js';
import { estimateTokens } from '../../src/chunking/tokens.js';
import { detectLanguage } from '../../src/repo/language.js';

/**
 * Properties over real files: every non-blank line is in some chunk, neighbouring chunks never
 * overlap by more than the configured overlap, and a chunk over budget is a single line.
 * JavaScript/TypeScript come from node_modules, Python from the system's standard library, C
 * from /usr/include; the other languages run when their Debian sources are unpacked under
 * CODEINTEL_LANG_CORPUS (`npm run bench:chunk` fetches them) and are skipped otherwise.
 */

const FILES_PER_LANGUAGE = Number(process.env.CHUNK_PROPERTY_FILES ?? 200);
const opts: ChunkerOptions = { maxTokens: 400, windowLines: 60, overlapLines: 10 };

/** Lines covered by a chunk, counting every place its text occurs (identical chunks are kept once per file). */
function coveredLines(lines: string[], chunks: Chunk[]): Set<number> {
  const covered = new Set<number>();
  for (const c of chunks) {
    for (let l = c.startLine; l <= c.endLine; l++) covered.add(l);
    const own = c.text.split('\n');
    for (let at = 0; at + own.length <= lines.length; at++) {
      if (lines[at] === own[0] && own.every((l, k) => lines[at + k] === l)) for (let k = 0; k < own.length; k++) covered.add(at + k + 1);
    }
  }
  return covered;
}

/** Why a chunking breaks a property, or undefined when it holds them all. */
export function violation(text: string, chunks: Chunk[], o: ChunkerOptions): string | undefined {
  const lines = text.split('\n');
  const covered = coveredLines(lines, chunks);
  const missed = lines.findIndex((l, i) => l.trim() !== '' && !covered.has(i + 1));
  if (missed >= 0) return `line ${missed + 1} is in no chunk`;
  for (let i = 1; i < chunks.length; i++) {
    const overlap = chunks[i - 1].endLine - chunks[i].startLine + 1;
    if (overlap > o.overlapLines) return `chunks ending ${chunks[i - 1].endLine} and starting ${chunks[i].startLine} overlap by ${overlap} lines`;
  }
  for (const c of chunks) {
    if (c.text !== lines.slice(c.startLine - 1, c.endLine).join('\n')) return `chunk ${c.startLine}-${c.endLine} text differs from its lines`;
    if (c.endLine > c.startLine && estimateTokens(c.text) > o.maxTokens) return `chunk ${c.startLine}-${c.endLine} is over budget`;
  }
  return undefined;
}

describe.each(BENCH_LANGUAGES)('real %s files', (language) => {
  const corpus = corpusFiles(language, FILES_PER_LANGUAGE, { download: false });
  const skip = corpus.files.length === 0;
  if (skip) console.warn(`[chunking-corpus] ${language}: skipped, ${corpus.note ?? 'no files'} (run npm run bench:chunk to fetch Debian sources into ${CORPUS_DIR})`);

  it.skipIf(skip)(`chunks cover every non-blank line and overlap by at most ${opts.overlapLines} lines (${corpus.files.length} files)`, async () => {
    const chunker = createChunker(opts);
    const failures: string[] = [];
    for (const file of corpus.files) {
      const text = readFileSync(file, 'utf8');
      const why = violation(text, await chunker.chunkFile(file, text, language), opts);
      if (why) failures.push(`${file}: ${why}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('broken input', () => {
  const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'languages');
  const sources = readdirSync(fixtures).map((f) => [f, readFileSync(path.join(fixtures, f), 'utf8')] as const);
  const small: ChunkerOptions = { maxTokens: 40, windowLines: 8, overlapLines: 2 };

  it.each(sources)('%s cut off in the middle of a definition still chunks fully', async (name, text) => {
    const cut = text.slice(0, Math.floor(text.length * 0.6));
    const chunks = await createChunker(small).chunkFile(name, cut, detectLanguage(name));
    expect(violation(cut, chunks, small)).toBeUndefined();
  });

  it.each(sources)('%s with stray braces, NULs and bytes that are not UTF-8 still chunks fully', async (name, text) => {
    const latin1 = Buffer.from('caf\xe9 na\xefve \xff\xfe', 'latin1').toString('utf8'); // decodes to U+FFFD replacement characters
    const broken = text.replace(/\n\n/g, `\n}}) ${latin1} \u0000 (((\n\n`);
    const chunks = await createChunker(small).chunkFile(name, broken, detectLanguage(name));
    expect(chunks.length).toBeGreaterThan(0);
    expect(violation(broken, chunks, small)).toBeUndefined();
  });

  it('random bytes in every grammar never throw', async () => {
    const chunker = createChunker(small);
    const noise = Array.from({ length: 4000 }, (_, i) => String.fromCharCode((i * 7919) % 0x2fff)).join('');
    for (const language of BENCH_LANGUAGES) {
      const chunks = await chunker.chunkFile(`noise.${language}`, noise, language);
      expect(violation(noise, chunks, small)).toBeUndefined();
    }
  });
});
