/**
 * A synthetic code corpus written as files on disk, for benchmarks that index
 * through the queue (bench:scale). Python modules of small functions over the
 * Zipf vocabulary of syntheticCodeIndex.ts; each function is one chunk when
 * CHUNK_MAX_TOKENS is below two functions' tokens (SCALE_CHUNK_MAX_TOKENS).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { rng } from '../src/vector/rng.mjs';
import { vocabulary, zipf } from './syntheticCodeIndex.js';

export interface SyntheticCorpusOptions {
  dir: string;
  /** functions to write (≈ chunks) */
  functions: number;
  functionsPerFile?: number;
  vocabSize?: number;
  seed?: number;
}

/** Write the corpus under `dir`; returns the vocabulary (for queries) and the file count. */
export async function writeSyntheticCorpus(opts: SyntheticCorpusOptions): Promise<{ vocab: string[]; files: number }> {
  const perFile = opts.functionsPerFile ?? 20;
  const vocab = vocabulary(opts.vocabSize ?? 20_000, opts.seed ?? 7);
  const next = rng(opts.seed ?? 11);
  const pick = zipf(vocab.length, next);
  const word = () => vocab[pick()];
  let files = 0;
  const dirs = new Set<string>();
  for (let made = 0; made < opts.functions; files++) {
    const rel = `pkg${files % 97}/m${Math.floor(files / 97) % 50}/${word()}_${files}.py`;
    const fns: string[] = [];
    for (let c = 0; c < perFile && made < opts.functions; c++, made++) {
      const body = Array.from({ length: 2 + Math.floor(next() * 3) }, () => `    ${word()} = ${word()}(${word()}.${word()})`);
      fns.push([`def ${word()}_${made}(${word()}, ${word()}):`, `    """${word()} ${word()} for ${word()}."""`, ...body, `    return ${word()}`].join('\n'));
    }
    const full = path.join(opts.dir, rel);
    const d = path.dirname(full);
    if (!dirs.has(d)) {
      await fs.mkdir(d, { recursive: true });
      dirs.add(d);
    }
    await fs.writeFile(full, fns.join('\n\n\n') + '\n');
  }
  return { vocab, files };
}
