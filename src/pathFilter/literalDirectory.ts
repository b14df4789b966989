import type { PathGlob } from './ast.js';

/** The path an anchored glob of plain names stands for; see literalDirectory. */
export interface LiteralPath {
  path: string;
  /** true for `dir/**` and `/dir/`: only paths below `path` match, not `path` itself */
  belowOnly: boolean;
}

/**
 * For a glob with no wildcards that is anchored at the root ("src/**",
 * "/src/", "docs/api.md", "/src"), the path it names: it matches that path
 * and everything under it (or only what is under it). Backends with a path
 * hierarchy index can serve it without a regex. Undefined for any other glob.
 */
export function literalDirectory(glob: PathGlob): LiteralPath | undefined {
  if (glob.patterns.length !== 1) return undefined;
  const [p] = glob.patterns;
  if (!p.anchored) return undefined;
  const segs = [...p.segments];
  let belowOnly = p.directoryOnly;
  if (segs[segs.length - 1].kind === 'globstar') {
    if (belowOnly) return undefined; // "dir/**/": directories under dir, not a plain prefix
    belowOnly = true;
    segs.pop();
  }
  const names: string[] = [];
  for (const s of segs) {
    if (s.kind !== 'name' || s.parts.length !== 1 || s.parts[0].kind !== 'literal') return undefined;
    names.push(s.parts[0].text);
  }
  return names.length > 0 ? { path: names.join('/'), belowOnly } : undefined;
}
