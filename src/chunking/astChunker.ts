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
  /** Pieces of one big function's body merge only with each other (0: top level and members). */
  group?: number;
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

/** Nodes that only wrap a list of statements (Go's statement_list inside a block, Ruby's body_statement). */
const STATEMENT_WRAPPERS = new Set(['block', 'statement_list', 'body_statement', 'statement_block', 'compound_statement', 'constructor_body']);

/**
 * The statements of the function a node defines, through wrappers (export, decorators, a const
 * bound to an arrow function): where a function too big for one chunk is cut.
 */
function bodyStatements(node: Node, attached: ReadonlySet<string>, depth = 0): Node[] | undefined {
  if (depth > 4) return undefined;
  const body = node.childForFieldName('body');
  if (body) {
    let members = body.namedChildren.filter((n): n is Node => !!n && !attached.has(n.type));
    while (members.length === 1 && STATEMENT_WRAPPERS.has(members[0].type)) members = members[0].namedChildren.filter((n): n is Node => !!n && !attached.has(n.type));
    return members.length >= 2 ? members : undefined;
  }
  // export / decorated / `const f = () => {…}` / template wrappers: look one level down
  for (const child of node.namedChildren) {
    if (!child || attached.has(child.type)) continue;
    const found = bodyStatements(child, attached, depth + 1);
    if (found) return found;
  }
  return undefined;
}

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
    const statements = only && depth < MAX_DEPTH ? bodyStatements(only, spec.attached) : undefined;
    if (statements) {
      // a big function: cut between its statements, every piece named after it
      placeBody(statements, seg.start, seg.end, { symbols, docs }, depth + 1, ++groups);
      return;
    }
    windows(seg.start, seg.end, { symbols, docs });
  };

  let groups = 0;
  const windows = (start: number, end: number, named: Described) => {
    for (const w of lineWindows(src, opts, start, end)) pieces.push({ start: w.startLine, end: w.endLine, ...named, fixed: true });
  };

  /** Statements of one function body over lines [from, to]: pieces that merge with each other only. */
  const placeBody = (statements: Node[], from: number, to: number, named: Described, depth: number, group: number) => {
    for (const seg of partition(statements, from, to)) {
      if (src.tokens(seg.start, seg.end) <= opts.maxTokens) {
        pieces.push({ start: seg.start, end: seg.end, symbols: named.symbols, docs: named.docs, fixed: false, group });
        continue;
      }
      const inner = seg.nodes.length === 1 && depth < MAX_DEPTH ? bodyStatements(seg.nodes[0], spec.attached) : undefined;
      if (inner) placeBody(inner, seg.start, seg.end, named, depth + 1, group); // a big loop or branch: its own statements
      else windows(seg.start, seg.end, named);
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
  let currentGroup = 0;
  const flush = () => {
    if (current) out.push(current);
    current = undefined;
  };
  for (const p of pieces) {
    if (p.fixed) {
      flush();
      out.push({ start: p.start, end: p.end, symbols: [...p.symbols], docs: [...p.docs] });
    } else if (current && currentGroup === (p.group ?? 0) && src.tokens(current.start, p.end) <= maxTokens) {
      current.end = p.end;
      current.symbols.push(...p.symbols);
      current.docs.push(...p.docs);
    } else {
      flush();
      current = { start: p.start, end: p.end, symbols: [...p.symbols], docs: [...p.docs] };
      currentGroup = p.group ?? 0;
    }
  }
  flush();
  return out.flatMap((s) => {
    const t = trimBlank(src, s.start, s.end);
    return t ? [{ start: t.start, end: t.end, symbols: [...new Set(s.symbols)], docs: [...new Set(s.docs)] }] : [];
  });
}

export type { Piece };
