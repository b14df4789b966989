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

/** Guess a file's language from its name (extension first, then well-known file names). */
export function detectLanguage(filePath: string): Language {
  const base = path.posix.basename(filePath.replace(/\\/g, '/')).toLowerCase();
  const ext = path.posix.extname(base);
  if (ext && BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  if (BY_NAME[base]) return BY_NAME[base];
  if (base.startsWith('dockerfile.') || base.endsWith('.dockerfile')) return 'dockerfile';
  return 'text';
}
