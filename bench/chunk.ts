/**
 * Chunking throughput per language over real files (see bench/langCorpus.ts for where they
 * come from), and parse throughput of the WASM runtime against the native binding on the same
 * files when TREE_SITTER_NATIVE_DIR points at an install of it.
 *
 *   npm run bench:chunk                       # CHUNK_BENCH_FILES=300 per language by default
 *   TREE_SITTER_NATIVE_DIR=/tmp/ts-native npm run bench:chunk
 *
 * Last line: {"languages": {"go": {"files", "files_per_s", "defs", ...}, ...}, "native_vs_wasm": {...}}
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/index.js';
import { createChunker } from '../src/chunking/index.js';
import type { AstLanguage } from '../src/chunking/grammars.js';
import { BENCH_LANGUAGES, corpusFiles } from './langCorpus.js';
import { compareRuntimes, type Corpus, type Throughput } from './treeSitterRuntimes.js';

const PER_LANGUAGE = Number(process.env.CHUNK_BENCH_FILES ?? 300);
const log = (msg: string) => process.stderr.write(`[bench:chunk] ${msg}\n`);

async function main() {
  const { chunking } = loadConfig();
  const corpus: Corpus = {};
  const notes: Record<string, string> = {};
  for (const language of BENCH_LANGUAGES) {
    const c = corpusFiles(language, PER_LANGUAGE);
    corpus[language as AstLanguage] = c.files;
    if (c.note) notes[language] = c.note;
    log(`${language}: ${c.files.length} files${c.note ? ` (${c.note})` : ''}`);
  }

  const languages: Record<string, { files: number; files_per_s: number; defs: number; chunks: number; named_chunks: number; mb_per_s: number; note?: string }> = {};
  const chunker = createChunker(chunking);
  for (const language of BENCH_LANGUAGES) {
    const files = corpus[language as AstLanguage] ?? [];
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    // one warm-up file per language: the first parse compiles the grammar's WASM
    if (texts.length) await chunker.chunkFile('warmup', texts[0], language);
    let defs = 0;
    let chunks = 0;
    let named = 0;
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < texts.length; i++) {
      const out = await chunker.chunkFile(files[i], texts[i], language);
      chunks += out.length;
      named += out.filter((c) => c.symbols.length > 0).length;
      defs += new Set(out.flatMap((c) => c.symbols)).size;
      bytes += Buffer.byteLength(texts[i]);
    }
    const seconds = (performance.now() - t0) / 1000 || Number.EPSILON;
    languages[language] = {
      files: texts.length,
      files_per_s: Math.round(texts.length / seconds),
      defs,
      chunks,
      named_chunks: named,
      mb_per_s: Number((bytes / 1e6 / seconds).toFixed(2)),
      ...(notes[language] ? { note: notes[language] } : {}),
    };
    log(`${language}: ${JSON.stringify(languages[language])}`);
  }

  log('parse only, WASM and native taking turns per language, best of 3 rounds each ...');
  const { wasm, native } = await compareRuntimes(corpus, process.env.TREE_SITTER_NATIVE_DIR);
  const total = (r: Record<string, Throughput>) => {
    const files = Object.values(r).reduce((a, t) => a + (t.files ?? 0), 0);
    // per-language best rounds, summed: the time to parse the whole corpus once
    const seconds = Object.values(r).reduce((a, t) => a + (t.seconds ?? 0), 0);
    const mb = Object.values(r).reduce((a, t) => a + (t.mb ?? 0), 0);
    return { files, seconds: Number(seconds.toFixed(3)), files_per_s: Math.round(files / seconds), mb_per_s: Number((mb / seconds).toFixed(2)) };
  };
  const nativeOk = !('unavailable' in native);
  const wasmTotal = total(wasm);
  const nativeTotal = nativeOk ? total(native as Record<string, Throughput>) : undefined;
  console.log(
    JSON.stringify({
      languages,
      native_vs_wasm: {
        files: wasmTotal.files,
        wasm: { total: wasmTotal, per_language: wasm },
        native: nativeOk ? { total: nativeTotal, per_language: native } : native,
        ...(nativeTotal ? { wasm_over_native_files_per_s: Number((wasmTotal.files_per_s / nativeTotal.files_per_s).toFixed(3)) } : {}),
      },
    }),
  );
}

main().catch((err) => {
  process.stderr.write(`[bench:chunk] failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
