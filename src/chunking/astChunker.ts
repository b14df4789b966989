import { parse, type AstLanguage, type Node } from './grammars.js';
import { docText } from './docComments.js';
import { SPECS, type LanguageSpec } from './languages/index.js';
import type { Container } from './languages/spec.js';
import { lineWindows } from './lineWindows.js';
import { trimBlank, type SourceLines } from './sourceLines.js';

/** A line range (1-based, inclusive), the definitions it covers and their doc comments. */
export interface Span {
  start: number;
  end: number;
  symbols: string[];
  docs: string[];
}

interface Piece extends Span {
  /** A window cut out of an oversized declaration: never merged with neighbours. */
  fixed: boolean;
}

interface Segment {
  start: number;
  end: number;
  nodes: Node[];
}

export interface AstChunkerOptions {
  maxTokens: number;
  windowLines: number;
  overlapLines: number;
}

/** Containers nest (namespace → class → nested class): deeper than this is left to line windows. */
const MAX_DEPTH = 12;

/** Last line (1-based) holding a character of the node; a node ending at column 0 ended on the line before. */
const endLine = (n: Node) => (n.endPosition.column === 0 && n.endPosition.row > n.startPosition.row ? n.endPosition.row : n.endPosition.row + 1);

/**
 * Cut lines [from, to] at the ends of `nodes`: each segment runs from just after the previous
 * node to the end of its own, so leading comments, decorators and blank lines go with the
 * declaration they precede and no line falls between segments.
 */
function partition(nodes: Node[], from: number, to: number): Segment[] {
  const segments: Segment[] = [];
  let cursor = from;
  for (const node of nodes) {
    const last = Math.min(endLine(node), to);
    if (last < cursor) {
      segments.at(-1)?.nodes.push(node); // shares its last line with the previous node
      continue;
    }
    segments.push({ start: cursor, end: last, nodes: [node] });
    cursor = last + 1;
  }
  if (cursor <= to) {
    const tail = segments.at(-1);
    if (tail) tail.end = to;
    else segments.push({ start: from, end: to, nodes: [] });
  }
  return segments;
}

/** Doc comments right above a declaration (no blank line between), skipping attributes and decorators. */
function docsAbove(spec: LanguageSpec, node: Node): string[] {
  const docs: string[] = [];
  let next = node;
  // Ruby puts a class's first member's comment beside the body, not inside it
  let prev = node.previousNamedSibling ?? (node.parent?.type === 'body_statement' ? node.parent.previousNamedSibling : null);
  while (prev && spec.attached.has(prev.type) && next.startPosition.row + 1 - endLine(prev) <= 1) {
    if (isComment(prev)) {
      if (!spec.isDoc(prev) || spec.isInnerDoc?.(prev)) break;
      docs.unshift(prev.text);
    }
    next = prev;
    prev = prev.previousNamedSibling;
  }
  return docs.length ? [docText(docs.join('\n'))].filter(Boolean) : [];
}

const isComment = (n: Node) => n.type.endsWith('comment');

interface Described {
  symbols: string[];
  docs: string[];
}

/**
 * Syntax-aware chunking: top-level declarations become chunks, small neighbours are merged up
 * to the token budget, containers over budget (classes, impl blocks, modules, namespaces) are
 * split into their members, and anything still over budget is cut into line windows.
 */
export function createAstChunker(opts: AstChunkerOptions) {
  /** Spans covering every non-blank line of the file, each within budget unless a single line is not. */
  async function spans(src: SourceLines, text: string, language: AstLanguage): Promise<Span[]> {
    const tree = await parse(text, language);
    try {
      return layoutFile(SPECS[language], src, tree.rootNode, opts);
    } finally {
      tree.delete(); // WASM memory is not garbage-collected
    }
  }

  return { spans };
}

function layoutFile(spec: LanguageSpec, src: SourceLines, root: Node, opts: AstChunkerOptions): Span[] {
  const pieces: Piece[] = [];
  const qualify = (owner: string, name: string, member: Node) => (!owner ? name : spec.join ? spec.join(owner, name, member) : `${owner}${spec.separator}${name}`);
  const containerOf = (node: Node, depth: number): Container | undefined => {
    if (depth >= MAX_DEPTH) return undefined;
    // a region the parser could not make sense of (an unknown macro such as FMT_BEGIN_NAMESPACE,
    // a syntax error) still holds the definitions it recovered: lay them out like their neighbours
    if (node.type === 'ERROR') return { members: node.namedChildren.filter((n): n is Node => !!n) };
    return spec.container(node);
  };
  const ownerFor = (owner: string, qualifier: string | undefined, node: Node) => (qualifier === undefined ? owner : qualify(owner, qualifier, node));

  /** A node's own names and docs, plus those of every member it contains (when it is not split). */
  const describe = (node: Node, owner: string, depth: number, withMembers: boolean): Described => {
    const symbols = spec.names(node).map((n) => qualify(owner, n, node));
    const docs = [...docsAbove(spec, node)];
    const inner = spec.innerDoc?.(node);
    if (inner) docs.push(docText(inner));
    const c = withMembers ? containerOf(node, depth) : undefined;
    if (c) {
      const memberOwner = ownerFor(owner, c.qualifier, node);
      for (const m of c.members) {
        if (spec.attached.has(m.type)) continue;
        const d = describe(m, memberOwner, depth + 1, true);
        symbols.push(...d.symbols);
        docs.push(...d.docs);
      }
    }
    return { symbols, docs: docs.filter(Boolean) };
  };

  const place = (seg: Segment, owner: string, depth: number, leading: Described) => {
    const withLeading = (ds: Described[]) => ({ symbols: [...leading.symbols, ...ds.flatMap((d) => d.symbols)], docs: [...leading.docs, ...ds.flatMap((d) => d.docs)] });
    if (src.tokens(seg.start, seg.end) <= opts.maxTokens) {
      pieces.push({ start: seg.start, end: seg.end, ...withLeading(seg.nodes.map((n) => describe(n, owner, depth, true))), fixed: false });
      return;
    }
    const only = seg.nodes.length === 1 ? seg.nodes[0] : undefined;
    const c = only && containerOf(only, depth);
    const members = c ? c.members.filter((m) => !spec.attached.has(m.type)) : [];
    if (only && c && members.length > 0) {
      // the container's own name and doc go with its first piece (its header), members name themselves
      layout(members, seg.start, seg.end, ownerFor(owner, c.qualifier, only), depth + 1, withLeading([describe(only, owner, depth, false)]));
      return;
    }
    const { symbols, docs } = withLeading(seg.nodes.map((n) => describe(n, owner, depth, true)));
    for (const w of lineWindows(src, opts, seg.start, seg.end)) {
      pieces.push({ start: w.startLine, end: w.endLine, symbols, docs, fixed: true });
    }
  };

  /** Lay out sibling declarations over lines [from, to]; `owner` qualifies member names (RateLimiter.take). */
  const layout = (nodes: Node[], from: number, to: number, owner: string, depth: number, leading: Described) => {
    const decls = nodes.filter((n) => !spec.attached.has(n.type));
    const segments = partition(decls, from, to);
    // file- and module-level docs (Rust //!) belong to the piece they stand in
    const innerDocs = spec.isInnerDoc ? nodes.filter((n) => isComment(n) && spec.isInnerDoc!(n)) : [];
    segments.forEach((seg, i) => {
      const own = innerDocs.filter((d) => d.startPosition.row + 1 >= seg.start && d.startPosition.row + 1 <= seg.end).map((d) => docText(d.text));
      const lead = i === 0 ? leading : { symbols: [], docs: [] };
      place(seg, owner, depth, { symbols: lead.symbols, docs: [...lead.docs, ...own] });
    });
  };

  layout(root.namedChildren.filter((n): n is Node => !!n), 1, src.count, '', 0, { symbols: [], docs: [] });
  return merge(src, pieces, opts.maxTokens);
}

/** Greedily join neighbouring pieces while they fit the budget, then drop blank edges. */
export function merge(src: SourceLines, pieces: Piece[], maxTokens: number): Span[] {
  const out: Span[] = [];
  let current: Span | undefined;
  const flush = () => {
    if (current) out.push(current);
    current = undefined;
  };
  for (const p of pieces) {
    if (p.fixed) {
      flush();
      out.push({ start: p.start, end: p.end, symbols: [...p.symbols], docs: [...p.docs] });
    } else if (current && src.tokens(current.start, p.end) <= maxTokens) {
      current.end = p.end;
      current.symbols.push(...p.symbols);
      current.docs.push(...p.docs);
    } else {
      flush();
      current = { start: p.start, end: p.end, symbols: [...p.symbols], docs: [...p.docs] };
    }
  }
  flush();
  return out.flatMap((s) => {
    const t = trimBlank(src, s.start, s.end);
    return t ? [{ start: t.start, end: t.end, symbols: [...new Set(s.symbols)], docs: [...new Set(s.docs)] }] : [];
  });
}

export type { Piece };
