/**
 * The parsed form of a path glob. A glob is a union of patterns (one per
 * brace alternative); each pattern is a list of path segments.
 */

/** Inclusive code-point range. */
export type CodePointRange = readonly [lo: number, hi: number];

/** One piece of a segment; none of them ever matches '/'. */
export type NamePart =
  | { kind: 'literal'; text: string }
  /** `*`: any run of characters within the segment */
  | { kind: 'star' }
  /** `?`: one character */
  | { kind: 'one' }
  /**
   * `[...]`: `ranges` are what goes between the brackets, sorted and merged.
   * '/' is never matched: a plain class's ranges leave it out, a negated
   * class's ranges include it (so `[^...]` excludes it).
   */
  | { kind: 'class'; negated: boolean; ranges: CodePointRange[] };

export type Segment =
  /** `**` as a whole segment: zero or more directories (everything, at the end) */
  | { kind: 'globstar' }
  | { kind: 'name'; parts: NamePart[] };

export interface GlobPattern {
  /** matches from the repo root only (a leading '/' or a '/' before the last character) */
  anchored: boolean;
  /** a trailing '/': names a directory, so it matches only paths under one */
  directoryOnly: boolean;
  /** at least one; no two globstars in a row */
  segments: Segment[];
}

export interface PathGlob {
  source: string;
  /** one per brace alternative, in the order written; the glob matches a path when any does */
  patterns: GlobPattern[];
}
