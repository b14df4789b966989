/**
 * Parse throughput of the WASM runtime (web-tree-sitter, what codeintel ships) and, when a
 * directory with the native `tree-sitter` binding and grammar packages is given
 * (TREE_SITTER_NATIVE_DIR: a folder whose node_modules holds tree-sitter@0.25 and the
 * tree-sitter-<lang> packages), of the native one, over the very same files.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { initParser, loadGrammar, Parser, type AstLanguage } from '../src/chunking/grammars.js';

export interface Throughput {
  files: number;
  mb: number;
  seconds: number;
  files_per_s: number;
  mb_per_s: number;
}

export type Corpus = Partial<Record<AstLanguage, string[]>>;

const rate = (files: number, bytes: number, seconds: number): Throughput => ({
  files,
  mb: Number((bytes / 1e6).toFixed(2)),
  seconds: Number(seconds.toFixed(3)),
  files_per_s: Math.round(files / seconds),
  mb_per_s: Number((bytes / 1e6 / seconds).toFixed(2)),
});

const readAll = (files: string[]) => files.map((f) => readFileSync(f, 'utf8'));

export async function measureWasm(corpus: Corpus): Promise<Record<string, Throughput>> {
  const out: Record<string, Throughput> = {};
  await initParser();
  const parser = new Parser();
  for (const [language, files] of Object.entries(corpus) as [AstLanguage, string[]][]) {
    const texts = readAll(files);
    parser.setLanguage(await loadGrammar(language));
    const t0 = performance.now();
    let bytes = 0;
    for (const t of texts) {
      parser.parse(t)?.delete();
      bytes += Buffer.byteLength(t);
    }
    out[language] = rate(texts.length, bytes, (performance.now() - t0) / 1000);
  }
  parser.delete();
  return out;
}

const NATIVE_GRAMMAR: Record<AstLanguage, [pkg: string, key?: string]> = {
  typescript: ['tree-sitter-typescript', 'typescript'],
  tsx: ['tree-sitter-typescript', 'tsx'],
  javascript: ['tree-sitter-javascript'],
  python: ['tree-sitter-python'],
  go: ['tree-sitter-go'],
  rust: ['tree-sitter-rust'],
  java: ['tree-sitter-java'],
  c: ['tree-sitter-c'],
  cpp: ['tree-sitter-cpp'],
  csharp: ['tree-sitter-c-sharp'],
  ruby: ['tree-sitter-ruby'],
  php: ['tree-sitter-php', 'php'],
};

/** Native throughput, or why it could not be measured. */
export async function measureNative(corpus: Corpus, nativeDir: string | undefined): Promise<Record<string, Throughput> | { unavailable: string }> {
  if (!nativeDir) return { unavailable: 'set TREE_SITTER_NATIVE_DIR to a folder with tree-sitter@0.25 and the grammar packages installed to compare' };
  const req = createRequire(path.join(path.resolve(nativeDir), 'package.json'));
  let NativeParser: new () => { setLanguage(l: unknown): void; parse(t: string): unknown };
  try {
    NativeParser = req('tree-sitter');
  } catch (err) {
    return { unavailable: `native tree-sitter does not load from ${nativeDir}: ${(err as Error).message.split('\n')[0]}` };
  }
  const out: Record<string, Throughput> = {};
  const parser = new NativeParser();
  for (const [language, files] of Object.entries(corpus) as [AstLanguage, string[]][]) {
    const [pkg, key] = NATIVE_GRAMMAR[language];
    let grammar: unknown;
    try {
      // tree-sitter-c-sharp 0.23 is ESM with top-level await: require() cannot load it
      const mod = language === 'csharp' ? (await import(pathToFileURL(req.resolve(pkg)).href)).default : req(pkg);
      grammar = key ? mod[key] : mod;
      parser.setLanguage(grammar);
    } catch (err) {
      out[language] = { unavailable: (err as Error).message.split('\n')[0] } as unknown as Throughput;
      continue;
    }
    const texts = readAll(files);
    const t0 = performance.now();
    let bytes = 0;
    let failed = 0;
    for (const t of texts) {
      try {
        parser.parse(t);
      } catch {
        failed++; // counted, so a faster figure never hides files it could not parse
      }
      bytes += Buffer.byteLength(t);
    }
    out[language] = { ...rate(texts.length, bytes, (performance.now() - t0) / 1000), ...(failed ? { failed } : {}) };
  }
  return out;
}
