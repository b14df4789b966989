import { readdir } from 'node:fs/promises';
import { readCheckedFile } from './safeRead.js';
import path from 'node:path';
import ignore from 'ignore';

type Ignore = ignore.Ignore;

interface IgnoreLevel {
  /** Directory holding the .gitignore, relative to the root ('' for the root). */
  dir: string;
  rules: Ignore;
}

/** Git semantics: walk from the root down, the deepest matching rule decides. */
function isIgnored(levels: IgnoreLevel[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    const sub = level.dir ? rel.slice(level.dir.length + 1) : rel;
    let result;
    try {
      result = level.rules.test(isDir ? sub + '/' : sub);
    } catch {
      continue; // names such as "..." are not valid ignore paths; git would not match them either
    }
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

async function readIgnoreFile(absDir: string): Promise<Ignore | undefined> {
  try {
    // never follow a .gitignore symlink nor block on a FIFO named .gitignore
    const read = await readCheckedFile(path.join(absDir, '.gitignore'), undefined, MAX_IGNORE_FILE_BYTES);
    if (read.kind !== 'ok') return undefined;
    // Case-sensitive, as git is on Linux by default.
    return ignore({ ignorecase: false }).add(read.bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

const MAX_IGNORE_FILE_BYTES = 1024 * 1024;

/**
 * Every file and symlink under `root` (relative, forward slashes, sorted), honouring
 * .gitignore files at every level. `.git/` is always skipped and symlinked directories
 * are never entered — symlinks are returned as entries for the caller to vet.
 */
export async function walkDirectory(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string, levels: IgnoreLevel[]): Promise<void> => {
    const abs = rel ? path.join(root, rel) : root;
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return; // unreadable directory: nothing we can index
    }
    const own = await readIgnoreFile(abs);
    const here = own ? [...levels, { dir: rel, rules: own }] : levels;
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const isDir = entry.isDirectory();
      if (isIgnored(here, childRel, isDir)) continue;
      if (isDir) subdirs.push(childRel);
      else if (entry.isFile() || entry.isSymbolicLink()) out.push(childRel);
    }
    await Promise.all(subdirs.map((d) => visit(d, here)));
  };
  await visit('', []);
  return out.sort();
}
