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
  const grouper = definitionGrouper(chunks.length);
  for (const c of chunks) grouper.add(c);
  return grouper.groups;
}

/**
 * The same, fed one chunk at a time in doc order, so a large catalog's rows
 * are read in batches instead of all held at once; it keeps only the previous chunk.
 */
export function definitionGrouper(n: number): { add(chunk: GroupableChunk): void; readonly groups: DefinitionGroups } {
  const groupOf = new Int32Array(n);
  const startLine = new Int32Array(n);
  const endLine = new Int32Array(n);
  let doc = 0;
  let prev: GroupableChunk | undefined;
  return {
    add(c) {
      const joins =
        prev !== undefined &&
        prev.path === c.path &&
        doc - groupOf[doc - 1] < MAX_GROUP_CHUNKS &&
        c.symbols.some((s) => prev!.symbols.includes(s));
      const group = joins ? groupOf[doc - 1] : doc;
      groupOf[doc] = group;
      if (!joins) startLine[group] = c.startLine;
      endLine[group] = Math.max(joins ? endLine[group] : 0, c.endLine);
      prev = c;
      doc++;
    },
    groups: { groupOf, startLine, endLine },
  };
}
