/**
 * How many of a repository's top-level and member definitions land in a chunk that names them.
 *
 * Definitions are found by an independent tree-sitter query per language (below: written
 * against the grammars, not the chunker's walk), leaving out anything defined inside a function
 * body (local helpers, closures, IIFE-wrapped bundles). A definition counts as covered when a
 * chunk spanning its first line has a symbol equal to its name or ending in `.name`, `::name`
 * or `#name`.
 *
 *   npm run bench:symbols                       # repositories under SYMBOL_REPOS_DIR
 *   npm run bench:symbols -- go=/tmp/gin rust=/tmp/ripgrep
 *
 * SYMBOL_REPOS_DIR (default /tmp/codeintel-symbol-repos) holds one folder per repository,
 * named owner+name (e.g. gin-gonic+gin), with its files (a `git archive` of it, never committed).
 * Last line: {"languages": {"go": {"repo", "files", "definitions", "covered", "coverage", "missed_examples"}, ...}}
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Query } from 'web-tree-sitter';
import { createChunker } from '../src/chunking/index.js';
import { initParser, loadGrammar, Parser, type AstLanguage, type Node } from '../src/chunking/grammars.js';
import { loadConfig } from '../src/config/index.js';
import { detectLanguage } from '../src/repo/language.js';

const REPOS_DIR = process.env.SYMBOL_REPOS_DIR ?? '/tmp/codeintel-symbol-repos';

/** The public repository measured per language (none of the held-out projects). */
const REPOS: Record<string, string> = {
  go: 'gin-gonic/gin',
  rust: 'BurntSushi/ripgrep',
  java: 'google/gson',
  c: 'DaveGamble/cJSON',
  cpp: 'fmtlib/fmt',
  csharp: 'JamesNK/Newtonsoft.Json',
  ruby: 'sinatra/sinatra',
  php: 'guzzle/guzzle',
  typescript: 'sindresorhus/ky',
  javascript: 'koajs/koa',
  python: 'pallets/click',
};

const C_FUNCTION = `
  (function_definition declarator: (function_declarator declarator: (_) @name)) @def
  (function_definition declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name))) @def
  (function_definition declarator: (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (_) @name)))) @def
  (struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def
  (union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def
  (enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def
  (type_definition declarator: (type_identifier) @name) @def
  (preproc_function_def name: (identifier) @name) @def
`;

/** What counts as a definition, per grammar. */
const QUERIES: Record<string, string> = {
  go: `
    (function_declaration name: (identifier) @name) @def
    (method_declaration name: (field_identifier) @name) @def
    (type_spec name: (type_identifier) @name) @def
    (type_alias name: (type_identifier) @name) @def
    (method_elem name: (field_identifier) @name) @def
    (source_file (const_declaration (const_spec name: (identifier) @name) @def))
  `,
  rust: `
    (function_item name: (identifier) @name) @def
    (function_signature_item name: (identifier) @name) @def
    (struct_item name: (type_identifier) @name) @def
    (enum_item name: (type_identifier) @name) @def
    (union_item name: (type_identifier) @name) @def
    (trait_item name: (type_identifier) @name) @def
    (type_item name: (type_identifier) @name) @def
    (mod_item name: (identifier) @name) @def
    (macro_definition name: (identifier) @name) @def
    (const_item name: (identifier) @name) @def
    (static_item name: (identifier) @name) @def
  `,
  java: `
    (class_declaration name: (identifier) @name) @def
    (interface_declaration name: (identifier) @name) @def
    (enum_declaration name: (identifier) @name) @def
    (record_declaration name: (identifier) @name) @def
    (annotation_type_declaration name: (identifier) @name) @def
    (method_declaration name: (identifier) @name) @def
    (constructor_declaration name: (identifier) @name) @def
  `,
  c: C_FUNCTION,
  cpp: `${C_FUNCTION}
    (function_definition declarator: (reference_declarator (function_declarator declarator: (_) @name))) @def
    (class_specifier name: (type_identifier) @name body: (field_declaration_list)) @def
    (field_declaration declarator: (function_declarator declarator: (_) @name)) @def
    (alias_declaration name: (type_identifier) @name) @def
  `,
  csharp: `
    (class_declaration name: (identifier) @name) @def
    (struct_declaration name: (identifier) @name) @def
    (interface_declaration name: (identifier) @name) @def
    (enum_declaration name: (identifier) @name) @def
    (record_declaration name: (identifier) @name) @def
    (delegate_declaration name: (identifier) @name) @def
    (method_declaration name: (identifier) @name) @def
    (constructor_declaration name: (identifier) @name) @def
    (property_declaration name: (identifier) @name) @def
  `,
  ruby: `
    (class name: (_) @name) @def
    (module name: (_) @name) @def
    (method name: (_) @name) @def
    (singleton_method name: (_) @name) @def
  `,
  php: `
    (class_declaration name: (name) @name) @def
    (interface_declaration name: (name) @name) @def
    (trait_declaration name: (name) @name) @def
    (enum_declaration name: (name) @name) @def
    (function_definition name: (name) @name) @def
    (method_declaration name: (name) @name) @def
  `,
  typescript: `
    (function_declaration name: (identifier) @name) @def
    (class_declaration name: (type_identifier) @name) @def
    (abstract_class_declaration name: (type_identifier) @name) @def
    (interface_declaration name: (type_identifier) @name) @def
    (type_alias_declaration name: (type_identifier) @name) @def
    (enum_declaration name: (identifier) @name) @def
    (method_definition name: (_) @name) @def
    (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def
    (public_field_definition name: (_) @name value: [(arrow_function) (function_expression)]) @def
  `,
  javascript: `
    (function_declaration name: (identifier) @name) @def
    (generator_function_declaration name: (identifier) @name) @def
    (class_declaration name: (identifier) @name) @def
    (method_definition name: (_) @name) @def
    (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def
    (field_definition property: (_) @name value: [(arrow_function) (function_expression)]) @def
    (assignment_expression left: (member_expression property: (property_identifier) @name) right: [(arrow_function) (function_expression)]) @def
    (pair key: (property_identifier) @name value: [(arrow_function) (function_expression)]) @def
  `,
  python: `
    (function_definition name: (identifier) @name) @def
    (class_definition name: (identifier) @name) @def
  `,
};

/** Node types whose bodies hold local, not top-level or member, definitions. */
const LOCAL_SCOPES: Record<string, string[]> = {
  go: ['function_declaration', 'method_declaration', 'func_literal'],
  rust: ['function_item', 'closure_expression'],
  java: ['method_declaration', 'constructor_declaration', 'lambda_expression', 'static_initializer'],
  c: ['function_definition'],
  cpp: ['function_definition', 'lambda_expression'],
  csharp: ['method_declaration', 'constructor_declaration', 'local_function_statement', 'lambda_expression', 'accessor_declaration'],
  ruby: ['method', 'singleton_method', 'block', 'do_block', 'lambda'],
  php: ['function_definition', 'method_declaration', 'anonymous_function', 'arrow_function'],
  typescript: ['function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'generator_function_declaration'],
  javascript: ['function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'generator_function_declaration', 'generator_function'],
  python: ['function_definition', 'lambda'],
};

const grammarFor = (language: string): AstLanguage => language as AstLanguage;

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name === '.git' || name === 'node_modules' || name === 'vendor') continue;
    const full = path.join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) yield* walk(full);
    else if (st.isFile() && st.size < 1_000_000) yield full;
  }
}

const insideLocalScope = (def: Node, scopes: Set<string>) => {
  for (let p = def.parent; p; p = p.parent) if (scopes.has(p.type)) return true;
  return false;
};

/** `Foo::bar` → bar, `basic_buffer<T>` → basic_buffer, `A::B` (Ruby) → B. */
const bareName = (text: string) => text.replace(/(\w)<[^<>]*(<[^<>]*>[^<>]*)*>/g, '$1').split(/::|\.(?=\w)/).at(-1)!.trim();

const names = (symbol: string, name: string) =>
  symbol === name || symbol.endsWith(`.${name}`) || symbol.endsWith(`::${name}`) || symbol.endsWith(`#${name}`);

async function coverage(language: string, dir: string) {
  const { chunking } = loadConfig();
  const chunker = createChunker(chunking);
  const parser = new Parser();
  const grammar = await loadGrammar(grammarFor(language));
  parser.setLanguage(grammar);
  const query = new Query(grammar, QUERIES[language]);
  const scopes = new Set(LOCAL_SCOPES[language]);
  let files = 0;
  let definitions = 0;
  let covered = 0;
  const missed: string[] = [];
  for (const file of walk(dir)) {
    // headers count as the language of the repository (fmt's .h files are C++)
    const detected = detectLanguage(file);
    if (detected !== language && !(language === 'cpp' && detected === 'c')) continue;
    const text = readFileSync(file, 'utf8');
    files++;
    const chunks = await chunker.chunkFile(file, text, language);
    const tree = parser.parse(text)!;
    const seen = new Set<number>();
    for (const match of query.matches(tree.rootNode)) {
      const def = match.captures.find((c) => c.name === 'def')?.node;
      const nameNode = match.captures.find((c) => c.name === 'name')?.node;
      if (!def || !nameNode || seen.has(def.id) || insideLocalScope(def, scopes)) continue;
      seen.add(def.id);
      const name = bareName(nameNode.text);
      const line = def.startPosition.row + 1;
      definitions++;
      if (chunks.some((c) => c.startLine <= nameNode.startPosition.row + 1 && c.endLine >= line && c.symbols.some((s) => names(s, name)))) covered++;
      else if (missed.length < 12) missed.push(`${path.relative(dir, file)}:${line} ${name}`);
    }
    tree.delete();
  }
  query.delete();
  parser.delete();
  return { files, definitions, covered, coverage: definitions ? Number((covered / definitions).toFixed(4)) : null, missed_examples: missed };
}

async function main() {
  await initParser();
  const explicit = Object.fromEntries(process.argv.slice(2).filter((a) => a.includes('=')).map((a) => a.split('=', 2) as [string, string]));
  const languages: Record<string, unknown> = {};
  for (const [language, repo] of Object.entries(REPOS)) {
    const dir = explicit[language] ?? path.join(REPOS_DIR, repo.replace('/', '+'));
    if (!existsSync(dir)) {
      languages[language] = { repo, skipped: `no checkout at ${dir}` };
      continue;
    }
    const result = await coverage(language, dir);
    languages[language] = { repo, ...result };
    process.stderr.write(`[bench:symbols] ${language} (${repo}): ${result.covered}/${result.definitions} = ${result.coverage}\n`);
  }
  console.log(JSON.stringify({ languages }));
}

main().catch((err) => {
  process.stderr.write(`[bench:symbols] failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
