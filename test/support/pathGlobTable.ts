/**
 * The one table of path-glob behaviour: every translator of src/pathFilter
 * (and the ignore package, as gitignore's reference) runs against these rows
 * in test/unit/path-filter.test.ts. A row whose answer gitignore does not
 * define says why in `beyondGitignore`.
 */
export interface GlobRow {
  glob: string;
  path: string;
  matches: boolean;
  beyondGitignore?: string;
}

const BRACES = 'braces are an addition to gitignore';
const CODE_POINTS = "'?' is one code point here; git counts bytes and the ignore package UTF-16 units";

const row = (glob: string, path: string, matches: boolean, beyondGitignore?: string): GlobRow => ({ glob, path, matches, beyondGitignore });

export const GLOB_ROWS: GlobRow[] = [
  // a name without '/' matches at any depth, and a directory of that name covers what is under it
  row('*.py', 'setup.py', true),
  row('*.py', 'pkg/mod/x.py', true),
  row('*.py', 'pkg/x.pyc', false),
  row('*.py', 'py', false),
  row('*.py', 'lib.py/readme.txt', true),
  row('*.md', '.md', true),
  row('*', 'a/b/c', true),
  row('a*', 'a/b', true),
  row('src', 'src', true),
  row('src', 'src/a.ts', true),
  row('src', 'pkg/src/a.ts', true),
  row('src', 'srcx/a.ts', false),
  row('src', 'a/xsrc', false),
  row('tests', 'pkg/tests/x.py', true),
  row('.env', 'config/.env', true),
  row('README.md', 'docs/README.md', true),
  row('*.TS', 'a.ts', false),

  // braces
  row('*.{ts,tsx}', 'ui/App.tsx', true, BRACES),
  row('*.{ts,tsx}', 'a.ts', true, BRACES),
  row('*.{ts,tsx}', 'a.js', false, BRACES),
  row('*.{ts,tsx}', 'a.tsx.bak', false, BRACES),
  row('*.{js,{ts,tsx}}', 'a.tsx', true, BRACES),
  row('x{,.bak}', 'x', true, BRACES),
  row('x{,.bak}', 'd/x.bak', true, BRACES),
  row('x{,.bak}', 'x.ba', false, BRACES),
  row('{src,lib}/**', 'lib/x.ts', true, BRACES),
  row('{src,lib}/**', 'test/x.ts', false, BRACES),
  row('{src,lib}/**', 'pkg/src/x.ts', false, BRACES),
  row('{src/a,b}', 'x/b', true, BRACES), // each alternative has its own anchoring: 'b' is any depth
  row('{src/a,b}', 'x/src/a', false, BRACES), // ... and 'src/a' only at the root
  row('{src/a,b}', 'src/a/f.ts', true, BRACES),

  // '**'
  row('src/**', 'src/a.ts', true),
  row('src/**', 'src/deep/a.ts', true),
  row('src/**', 'src', false),
  row('src/**', 'srcx/a.ts', false),
  row('src/**', 'lib/src/a.ts', false),
  row('docs/**/*.md', 'docs/a.md', true),
  row('docs/**/*.md', 'docs/x/y/a.md', true),
  row('docs/**/*.md', 'other/docs/a.md', false),
  row('docs/**/*.md', 'docs/a.mdx', false),
  row('**/test/**', 'test/a.ts', true),
  row('**/test/**', 'pkg/test/a.ts', true),
  row('**/test/**', 'pkg/test', false),
  row('**/test/**', 'pkg/tests/a.ts', false),
  row('**/test', 'pkg/test', true),
  row('**/test', 'test/x', true),
  row('a/**/b', 'a/b', true),
  row('a/**/b', 'a/x/y/b', true),
  row('a/**/b', 'a/x/yb', false),
  row('a/**/**/b', 'a/b', true),
  row('a/***/b', 'a/x/b', true),
  row('a**b', 'axxb', true),
  row('a**b', 'a/x/b', false),
  row('**', 'a/b/c', true),
  row('docs/**/', 'docs/a/b.md', true),
  row('docs/**/', 'docs/b.md', false),

  // a trailing '/' means a directory, at any depth unless otherwise anchored
  row('src/', 'src/a/b.ts', true),
  row('src/', 'lib/src/a.ts', true),
  row('src/', 'src', false),
  row('src/', 'srcx/a', false),
  row('build/', 'build', false),
  row('a/b/', 'a/b/c', true),

  // a '/' at the start or in the middle anchors at the root
  row('/README.md', 'README.md', true),
  row('/README.md', 'docs/README.md', false),
  row('/Makefile', 'sub/Makefile', false),
  row('Makefile', 'sub/Makefile', true),
  row('/lib/*.js', 'lib/a.js', true),
  row('/lib/*.js', 'pkg/lib/a.js', false),
  row('./lib/*.js', 'lib/a.js', true, "a leading './' is read as '/'; git would match nothing"),
  row('./lib/*.js', 'pkg/lib/a.js', false, "a leading './' is read as '/'; git would match nothing"),
  row('src/a', 'src/a/b.ts', true),
  row('src/a', 'x/src/a', false),
  row('src/*.ts', 'src/a.ts', true),
  row('src/*.ts', 'src/sub/a.ts', false),
  row('src/?.ts', 'src/a.ts', true),
  row('src/**/*.ts', 'src/a.ts', true),
  row('src/**/*.ts', 'src/deep/er/a.ts', true),
  row('src/**/*.py', 'lib/c.py', false),
  row('a/b', 'x/a/b', false),

  // '?' and classes: one character, never '/'
  row('a?c.ts', 'abc.ts', true),
  row('a?c.ts', 'x/abc.ts', true),
  row('a?c.ts', 'a/c.ts', false),
  row('a?c.ts', 'ac.ts', false),
  row('/a*b', 'a/b', false),
  row('[ab].ts', 'a.ts', true),
  row('[ab].ts', 'b.ts', true),
  row('[ab].ts', 'c.ts', false),
  row('[ab].ts', 'ab.ts', false),
  row('[!a].ts', 'b.ts', true),
  row('[!a].ts', 'x/b.ts', true),
  row('[!a].ts', 'a.ts', false),
  row('[^a].ts', 'b.ts', true),
  row('/q[!a]x', 'q/x', false),
  row('a[+-0]x', 'a/x', false),
  row('a[+-0]x', 'a.x', true),
  row('[a-c]x', 'bx', true),
  row('[a-c]x', 'dx', false),
  row('[]a].ts', 'a.ts', true),
  row('[]a].ts', '].ts', true),
  row('[a-]x', '-x', true),
  row('[a\\-z]x', '-x', true),
  row('[a\\-z]x', 'bx', false),
  row('[\\]]x', ']x', true),
  row('[[:digit:]].txt', '1.txt', true),
  row('[[:upper:]]*', 'Readme', true),
  row('[[:upper:]]*', 'readme', false),
  row('[!a].ts', '^.ts', true),
  row('file?.md', 'file1.md', true),
  row('[!a]*.md', 'a.md', false),
  row('[!a]*.md', 'b.md', true),

  // dots and regex metacharacters are plain characters
  row('*.test.ts', 'a.test.ts', true),
  row('*.test.ts', 'atest.ts', false),
  row('.github/**', '.github/workflows/ci.yml', true),
  row('v1.0/*.md', 'v1.0/x.md', true),
  row('v1.0/*.md', 'v1x0/x.md', false),
  row('a+b.ts', 'a+b.ts', true),
  row('a+b.ts', 'aab.ts', false),
  row('(x).ts', '(x).ts', true),
  row('(x).ts', 'x.ts', false),
  row('a+b(c).txt', 'a+b(c).txt', true),
  row('a.b/c', 'a.b/c', true),
  row('a.b/c', 'axb/c', false),
  row('$x^.ts', '$x^.ts', true),
  row('a|b', 'a|b', true),
  row('a|b', 'a', false),
  row('a#b@c&d~e"f<g>h.ts', 'a#b@c&d~e"f<g>h.ts', true),
  row('a#b@c&d~e"f<g>h.ts', 'a#b@c&d~e"f<g>hxts', false),
  row('[&][&]x', '&&x', true),
  row('a\\{b\\}', 'a{b}', true),
  row('x\\*', 'x*', true),
  row('x\\*', 'xy', false),
  row('\\!important.md', '!important.md', true),
  row('#notes.md', 'docs/#notes.md', true, "a leading '#' is a comment in .gitignore; here it is a character"),

  // beyond ASCII, and names with newlines
  row('héllo/*.ts', 'héllo/a.ts', true),
  row('?.ts', 'é.ts', true, CODE_POINTS),
  row('?.ts', '😀.ts', true, CODE_POINTS),
  row('[😀-😂].ts', '😁.ts', true, CODE_POINTS),
  row('*.txt', 'a\nb.txt', true),
  row('**', 'a\nb/c', true),
  row('a/**', 'a/x\ny', true),
];

/** Globs every translator must refuse, with a part of the reason given. */
export const MALFORMED_GLOBS: Array<[glob: string, reason: RegExp]> = [
  ['', /is empty/],
  ['src/[ab.ts', /unclosed '\['/],
  ['*.{ts,tsx', /unclosed '\{'/],
  ['a}', /unmatched '\}'/],
  ['x\0y', /NUL/],
  ['x'.repeat(501), /longer than 500/],
  ['!vendor/**', /leading '!'/],
  ['a\\', /lone '\\'/],
  ['a//b', /empty path segment/],
  ['../x', /'\.\.' segments/],
  ['/', /names no path/],
  ['[z-a]', /reversed range/],
  ['a[/]b', /'\/' cannot be in a character class/],
  ['[[:word:]]', /unknown character class/],
  ['{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}', /more than 32 alternatives/],
  [`{a,b}{c,d}{e,f}{g,h}${'x'.repeat(100)}`, /more than 1000 characters/],
];
