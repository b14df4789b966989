import type Parser from 'tree-sitter';
import { loadGrammar, loadParser, type AstLanguage } from './grammars.js';
import { lineWindows } from './lineWindows.js';
import { trimBlank, type SourceLines } from './sourceLines.js';
import { classMembers, classOf, declaredNames, isAttached } from './symbols.js';

type Node = Parser.SyntaxNode;

/** A line range (1-based, inclusive) and the declarations it covers. */
export interface Span {
  start: number;
  end: number;
  symbols: string[];
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

/**
 * Syntax-aware chunking: top-level declarations become chunks, small neighbours are merged up
 * to the token budget, classes over budget are split into their members, and anything still
 * over budget is cut into line windows. One parser per chunker, reused across files.
 */
export function createAstChunker(opts: AstChunkerOptions) {
  let parser: Parser | undefined;
  let parserLanguage: AstLanguage | undefined;

  const parse = (text: string, language: AstLanguage): Parser.Tree => {
    if (!parser) {
      const ParserCtor = loadParser();
      parser = new ParserCtor();
    }
    if (parserLanguage !== language) {
      parser.setLanguage(loadGrammar(language) as Parser.Language);
      parserLanguage = language;
    }
    return parser.parse(text);
  };

  /** Spans covering every non-blank line of the file, each within budget unless a single line is not. */
  function spans(src: SourceLines, text: string, language: AstLanguage): Span[] {
    const root = parse(text, language).rootNode;
    const pieces: Piece[] = [];

    const place = (start: number, end: number, nodes: Node[], symbols: string[]) => {
      if (src.tokens(start, end) <= opts.maxTokens) {
        pieces.push({ start, end, symbols, fixed: false });
        return;
      }
      const cls = nodes.length === 1 ? classOf(nodes[0]) : undefined;
      const members = cls ? classMembers(cls).filter((m) => !isAttached(m)) : [];
      if (cls && members.length > 0) {
        layout(members, start, end, symbols[0] ?? '', symbols);
        return;
      }
      for (const w of lineWindows(src, opts, start, end)) {
        pieces.push({ start: w.startLine, end: w.endLine, symbols, fixed: true });
      }
    };

    /** Lay out sibling declarations; `owner` qualifies member names (RateLimiter.take). */
    const layout = (nodes: Node[], from: number, to: number, owner: string, leading: string[]) => {
      partition(nodes.filter((n) => !isAttached(n)), from, to).forEach((seg, i) => {
        const names = seg.nodes.flatMap(declaredNames).map((n) => (owner ? `${owner}.${n}` : n));
        place(seg.start, seg.end, seg.nodes, i === 0 ? [...leading, ...names] : names);
      });
    };

    layout(root.namedChildren, 1, src.count, '', []);
    return merge(src, pieces, opts.maxTokens);
  }

  return { spans };
}

/** Greedily join neighbouring pieces while they fit the budget, then drop blank edges. */
function merge(src: SourceLines, pieces: Piece[], maxTokens: number): Span[] {
  const out: Span[] = [];
  let current: Span | undefined;
  const flush = () => {
    if (current) out.push(current);
    current = undefined;
  };
  for (const p of pieces) {
    if (p.fixed) {
      flush();
      out.push({ start: p.start, end: p.end, symbols: [...p.symbols] });
    } else if (current && src.tokens(current.start, p.end) <= maxTokens) {
      current.end = p.end;
      current.symbols.push(...p.symbols);
    } else {
      flush();
      current = { start: p.start, end: p.end, symbols: [...p.symbols] };
    }
  }
  flush();
  return out.flatMap((s) => {
    const t = trimBlank(src, s.start, s.end);
    return t ? [{ start: t.start, end: t.end, symbols: [...new Set(s.symbols)] }] : [];
  });
}
