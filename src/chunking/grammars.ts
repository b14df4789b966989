import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';

// Grammars run as WebAssembly (web-tree-sitter): nothing to compile at install, the same
// files on linux/macOS/Windows, glibc or musl. The .wasm files are the grammars' own builds
// (VS Code's @vscode/tree-sitter-wasm bundle; tree-sitter-c's package for C, which that
// bundle lacks). See docs/languages.md for the native-vs-WASM measurement behind this.
const require = createRequire(import.meta.url);

export type AstLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go' | 'rust' | 'java' | 'c' | 'cpp' | 'csharp' | 'ruby' | 'php';

const WASM: Record<AstLanguage, string> = {
  typescript: '@vscode/tree-sitter-wasm/wasm/tree-sitter-typescript.wasm',
  tsx: '@vscode/tree-sitter-wasm/wasm/tree-sitter-tsx.wasm',
  javascript: '@vscode/tree-sitter-wasm/wasm/tree-sitter-javascript.wasm',
  python: '@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm',
  go: '@vscode/tree-sitter-wasm/wasm/tree-sitter-go.wasm',
  rust: '@vscode/tree-sitter-wasm/wasm/tree-sitter-rust.wasm',
  java: '@vscode/tree-sitter-wasm/wasm/tree-sitter-java.wasm',
  c: 'tree-sitter-c/tree-sitter-c.wasm',
  cpp: '@vscode/tree-sitter-wasm/wasm/tree-sitter-cpp.wasm',
  csharp: '@vscode/tree-sitter-wasm/wasm/tree-sitter-c-sharp.wasm',
  ruby: '@vscode/tree-sitter-wasm/wasm/tree-sitter-ruby.wasm',
  php: '@vscode/tree-sitter-wasm/wasm/tree-sitter-php.wasm',
};

export const hasGrammar = (language: string): language is AstLanguage => Object.hasOwn(WASM, language);

/** Where a grammar's .wasm file is installed. */
export const grammarPath = (language: AstLanguage): string => require.resolve(WASM[language]);

let runtime: Promise<void> | undefined;
const grammars = new Map<AstLanguage, Promise<Language>>();

/** The WASM runtime, started once per process. */
export function initParser(): Promise<void> {
  runtime ??= Parser.init().catch((err: unknown) => {
    runtime = undefined; // let a later call try again
    throw err;
  });
  return runtime;
}

/** A grammar, loaded once per process and shared by every parser. */
export function loadGrammar(language: AstLanguage): Promise<Language> {
  let grammar = grammars.get(language);
  if (!grammar) {
    grammar = initParser().then(() => Language.load(grammarPath(language)));
    grammar.catch(() => grammars.delete(language));
    grammars.set(language, grammar);
  }
  return grammar;
}

let shared: { parser: Parser; language?: AstLanguage } | undefined;

/**
 * Parse one file. One parser serves the whole process: setLanguage and parse run with no await
 * between them, so callers cannot interleave, and no parser is left behind per chunker (WASM
 * memory is not garbage-collected). The caller must delete() the tree.
 */
export async function parse(text: string, language: AstLanguage): Promise<Tree> {
  const grammar = await loadGrammar(language);
  shared ??= { parser: new Parser() };
  if (shared.language !== language) {
    shared.parser.setLanguage(grammar);
    shared.language = language;
  }
  const tree = shared.parser.parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for a ${language} file`);
  return tree;
}

export { Parser };
export type { Language };
export type { Node, Tree } from 'web-tree-sitter';
