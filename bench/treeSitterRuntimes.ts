/**
 * Parse throughput of the WASM runtime (web-tree-sitter, what codeintel ships) and, when a
 * directory with the native `tree-sitter` binding and grammar packages is given
 * (TREE_SITTER_NATIVE_DIR: a folder whose node_modules holds tree-sitter@0.25, built, and the
 * tree-sitter-<lang> packages), of the native one, over the very same files.
 *
 * The machine is shared, so the two runtimes take turns per language, several rounds, and each
 * keeps its best round: a burst of load elsewhere then slows one round, not one runtime.
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
  /** files the runtime threw on (counted, so a faster figure never hides files it could not parse) */
  failed?: number;
}

export type Corpus = Partial<Record<AstLanguage, string[]>>;

export interface RuntimeComparison {
  wasm: Record<string, Throughput>;
  native: Record<string, Throughput> | { unavailable: string };
}

const rate = (files: number, bytes: number, seconds: number, failed: number): Throughput => ({
  files,
  mb: Number((bytes / 1e6).toFixed(2)),
  seconds: Number(seconds.toFixed(3)),
  files_per_s: Math.round(files / seconds),
  mb_per_s: Number((bytes / 1e6 / seconds).toFixed(2)),
  ...(failed ? { failed } : {}),
});

/** Seconds to parse every text once, and how many threw. */
function timeParses(parse: (text: string) => void, texts: string[]): { seconds: number; failed: number } {
  let failed = 0;
  const t0 = performance.now();
  for (const t of texts) {
    try {
      parse(t);
    } catch {
      failed++;
    }
  }
  return { seconds: (performance.now() - t0) / 1000, failed };
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

type NativeParser = { setLanguage(l: unknown): void; parse(t: string): unknown };

/** The native binding and a loader for its grammars, or why they cannot be had. */
function loadNative(nativeDir: string | undefined): { Parser: new () => NativeParser; grammar(language: AstLanguage): Promise<unknown> } | string {
  if (!nativeDir) return 'set TREE_SITTER_NATIVE_DIR to a folder with tree-sitter@0.25 and the grammar packages installed to compare';
  const req = createRequire(path.join(path.resolve(nativeDir), 'package.json'));
  try {
    const NativeParserCtor = req('tree-sitter') as new () => NativeParser;
    return {
      Parser: NativeParserCtor,
      async grammar(language) {
        const [pkg, key] = NATIVE_GRAMMAR[language];
        // tree-sitter-c-sharp 0.23 is ESM with top-level await: require() cannot load it
        const mod = language === 'csharp' ? (await import(pathToFileURL(req.resolve(pkg)).href)).default : req(pkg);
        return key ? mod[key] : mod;
      },
    };
  } catch (err) {
    return `native tree-sitter does not load from ${nativeDir}: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Parse-only throughput of both runtimes over the same files, `rounds` interleaved rounds each, best round kept. */
export async function compareRuntimes(corpus: Corpus, nativeDir: string | undefined, rounds = 3): Promise<RuntimeComparison> {
  await initParser();
  const wasmParser = new Parser();
  const native = loadNative(nativeDir);
  const nativeParser = typeof native === 'string' ? undefined : new native.Parser();
  const wasm: Record<string, Throughput> = {};
  const nativeOut: Record<string, Throughput> = {};
  for (const [language, files] of Object.entries(corpus) as [AstLanguage, string[]][]) {
    const texts = files.map((f) => readFileSync(f, 'utf8'));
    const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
    wasmParser.setLanguage(await loadGrammar(language));
    let nativeReady = false;
    if (nativeParser && typeof native !== 'string') {
      try {
        nativeParser.setLanguage(await native.grammar(language));
        nativeReady = true;
      } catch (err) {
        nativeOut[language] = { unavailable: (err as Error).message.split('\n')[0] } as unknown as Throughput;
      }
    }
    const parseWasm = (t: string) => wasmParser.parse(t)?.delete();
    timeParses(parseWasm, texts.slice(0, 20)); // the first parses compile the grammar's WASM
    let bestWasm = { seconds: Infinity, failed: 0 };
    let bestNative = { seconds: Infinity, failed: 0 };
    for (let r = 0; r < rounds; r++) {
      const w = timeParses(parseWasm, texts);
      if (w.seconds < bestWasm.seconds) bestWasm = w;
      if (nativeReady) {
        const n = timeParses((t) => nativeParser!.parse(t), texts);
        if (n.seconds < bestNative.seconds) bestNative = n;
      }
    }
    wasm[language] = rate(texts.length, bytes, bestWasm.seconds, bestWasm.failed);
    if (nativeReady) nativeOut[language] = rate(texts.length, bytes, bestNative.seconds, bestNative.failed);
  }
  wasmParser.delete();
  return { wasm, native: typeof native === 'string' ? { unavailable: native } : nativeOut };
}
