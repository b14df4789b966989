import path from 'node:path';

/** Language names used across chunking, sinks and filters. Unknown text files are 'text'. */
export type Language = string;

const BY_EXTENSION: Record<string, Language> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.tsx': 'tsx',
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript',
  '.py': 'python', '.pyi': 'python',
  '.md': 'markdown', '.markdown': 'markdown', '.mdx': 'markdown',
  '.json': 'json', '.jsonc': 'json', '.json5': 'json',
  '.go': 'go',
  '.rs': 'rust',
  '.java': 'java',
  '.kt': 'kotlin', '.kts': 'kotlin',
  '.scala': 'scala',
  '.c': 'c', '.h': 'c',
  '.cc': 'cpp', '.cpp': 'cpp', '.cxx': 'cpp', '.hh': 'cpp', '.hpp': 'cpp', '.hxx': 'cpp',
  '.cs': 'csharp',
  '.rb': 'ruby',
  '.php': 'php',
  '.swift': 'swift',
  '.sh': 'shell', '.bash': 'shell', '.zsh': 'shell',
  '.yaml': 'yaml', '.yml': 'yaml',
  '.toml': 'toml',
  '.ini': 'ini', '.cfg': 'ini',
  '.sql': 'sql',
  '.html': 'html', '.htm': 'html',
  '.css': 'css', '.scss': 'css', '.less': 'css',
  '.xml': 'xml',
  '.proto': 'protobuf',
  '.txt': 'text', '.rst': 'text',
};

const BY_NAME: Record<string, Language> = {
  dockerfile: 'dockerfile',
  makefile: 'make',
  gnumakefile: 'make',
  '.bashrc': 'shell',
  '.profile': 'shell',
};

/** Interpreters named on a `#!` line (the basename, version digits dropped: python3 → python). */
const BY_INTERPRETER: Record<string, Language> = {
  node: 'javascript', nodejs: 'javascript', deno: 'typescript', bun: 'javascript', tsx: 'typescript', 'ts-node': 'typescript',
  python: 'python', pypy: 'python', ruby: 'ruby', php: 'php',
  sh: 'shell', bash: 'shell', zsh: 'shell', dash: 'shell', ksh: 'shell',
};

/** Names editors use in modelines (`vim: ft=ruby`, `-*- mode: python -*-`) mapped to ours. */
const BY_MODE: Record<string, Language> = {
  javascript: 'javascript', js: 'javascript', typescript: 'typescript', ts: 'typescript', python: 'python', py: 'python',
  ruby: 'ruby', rb: 'ruby', php: 'php', go: 'go', rust: 'rust', java: 'java', c: 'c', cpp: 'cpp', 'c++': 'cpp', cs: 'csharp', csharp: 'csharp',
  sh: 'shell', bash: 'shell', zsh: 'shell', yaml: 'yaml', json: 'json', markdown: 'markdown', md: 'markdown',
};

const MODELINE_LINES = 5;
/** Shebangs and modelines sit in the first or last lines: only this much of each end is decoded. */
const EDGE_CHARS = 4096;

function headAndTail(content: string | Uint8Array): string {
  if (typeof content === 'string') return content.length <= 2 * EDGE_CHARS ? content : `${content.slice(0, EDGE_CHARS)}\n${content.slice(-EDGE_CHARS)}`;
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (buf.length <= 2 * EDGE_CHARS) return buf.toString('utf8');
  return `${buf.toString('utf8', 0, EDGE_CHARS)}\n${buf.toString('utf8', buf.length - EDGE_CHARS)}`;
}

/** The language a `#!` line or an Emacs/Vim modeline declares, if any. */
export function languageFromContent(head: string): Language | undefined {
  const lines = head.split('\n');
  const shebang = /^#!\s*(\S+)(?:\s+(?:-\S+\s+)*(\S+))?/.exec(lines[0] ?? '');
  if (shebang) {
    const prog = path.posix.basename(shebang[1]);
    const name = (prog === 'env' ? path.posix.basename(shebang[2] ?? '') : prog).replace(/[\d.]+$/, '');
    if (BY_INTERPRETER[name]) return BY_INTERPRETER[name];
  }
  for (const line of [...lines.slice(0, MODELINE_LINES), ...lines.slice(-MODELINE_LINES)]) {
    const emacs = /-\*-.*?(?:mode:\s*)?([\w+#-]+)\s*(?:;.*)?-\*-/i.exec(line);
    const vim = /\b(?:vim?|ex):.*?\b(?:ft|filetype|syntax)=([\w+#-]+)/.exec(line);
    const mode = (vim?.[1] ?? emacs?.[1])?.toLowerCase();
    if (mode && BY_MODE[mode]) return BY_MODE[mode];
  }
  return undefined;
}

/**
 * Guess a file's language: extension first, then well-known file names, then (when the
 * content is given) a shebang line or a modeline. Unknown files are 'text'.
 */
export function detectLanguage(filePath: string, content?: string | Uint8Array): Language {
  const base = path.posix.basename(filePath.replace(/\\/g, '/')).toLowerCase();
  const ext = path.posix.extname(base);
  if (ext && BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  if (BY_NAME[base]) return BY_NAME[base];
  if (base.startsWith('dockerfile.') || base.endsWith('.dockerfile')) return 'dockerfile';
  const found = content === undefined ? undefined : languageFromContent(headAndTail(content));
  if (found) return found;
  return 'text';
}
