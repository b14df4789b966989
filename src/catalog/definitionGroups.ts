/**
 * Chunks of one definition: neighbours in one file (docs are numbered in
 * path, start-line order) that name a common symbol, e.g. a long JSDoc and
 * the overloads after it, or the windows a long function was cut into. A
 * search hit stands for the whole group, so a definition shows once, with
 * the lines of all its chunks. Chunks without symbols are groups of one;
 * a group stops at MAX_GROUP_CHUNKS, so a hit stays a readable size.
 */
export const MAX_GROUP_CHUNKS = 12;

export interface DefinitionGroups {
  /** the first doc of `doc`'s group */
  groupOf: Int32Array;
  /** per group (indexed by its first doc): first and last line of the group */
  startLine: Int32Array;
  endLine: Int32Array;
}

export interface GroupableChunk {
  path: string;
  startLine: number;
  endLine: number;
  symbols: readonly string[];
}

export function definitionGroups(chunks: readonly GroupableChunk[]): DefinitionGroups {
  const n = chunks.length;
  const groupOf = new Int32Array(n);
  const startLine = new Int32Array(n);
  const endLine = new Int32Array(n);
  for (let doc = 0; doc < n; doc++) {
    const c = chunks[doc];
    const prev = doc > 0 ? chunks[doc - 1] : undefined;
    const joins =
      prev !== undefined &&
      prev.path === c.path &&
      doc - groupOf[doc - 1] < MAX_GROUP_CHUNKS &&
      c.symbols.some((s) => prev.symbols.includes(s));
    const group = joins ? groupOf[doc - 1] : doc;
    groupOf[doc] = group;
    if (!joins) startLine[group] = c.startLine;
    endLine[group] = Math.max(joins ? endLine[group] : 0, c.endLine);
  }
  return { groupOf, startLine, endLine };
}
