import { createRequire } from 'node:module';

// The tree-sitter packages are native CommonJS addons.
const require = createRequire(import.meta.url);

export type AstLanguage = 'typescript' | 'tsx' | 'javascript' | 'python';

export const AST_LANGUAGES: readonly AstLanguage[] = ['typescript', 'tsx', 'javascript', 'python'];

export const hasGrammar = (language: string): language is AstLanguage => (AST_LANGUAGES as readonly string[]).includes(language);

/** The grammar object to pass to Parser#setLanguage (Node caches the addon after the first load). */
export function loadGrammar(language: AstLanguage): unknown {
  switch (language) {
    case 'typescript':
      return require('tree-sitter-typescript').typescript;
    case 'tsx':
      return require('tree-sitter-typescript').tsx;
    case 'javascript':
      return require('tree-sitter-javascript');
    case 'python':
      return require('tree-sitter-python');
  }
}

export type ParserCtor = typeof import('tree-sitter');

export const loadParser = (): ParserCtor => require('tree-sitter') as ParserCtor;
