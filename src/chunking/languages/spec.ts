import type { Node } from '../grammars.js';

/** Members a declaration holds, and the name that qualifies them (undefined: a namespace-like wrapper that adds none). */
export interface Container {
  members: Node[];
  qualifier?: string;
}

/**
 * What one grammar calls the definitions we name. The chunker walks top-level nodes and,
 * through containers, their members; each spec only answers questions about one node.
 */
export interface LanguageSpec {
  /** Joins an owner and a member name: `.` (Command.ExecuteC) or `::` (Value::pointer). */
  separator: string;
  /** Overrides how a member's name joins its owner's (Ruby: Base#get, Base.route, Sinatra::Base). */
  join?(owner: string, name: string, member: Node): string;
  /** Node types that belong to the declaration after them (comments, decorators, attributes). */
  attached: ReadonlySet<string>;
  /** Names the node itself declares, relative to its owner (a Go method already says its receiver). */
  names(node: Node): string[];
  /** Members laid out beneath the node (class bodies, impl blocks, modules, namespaces). */
  container(node: Node): Container | undefined;
  /** Is this attached comment a doc comment of what follows it? */
  isDoc(comment: Node): boolean;
  /** A comment documenting the enclosing file or module (Rust `//!`), wherever it stands. */
  isInnerDoc?(comment: Node): boolean;
  /** Documentation inside the definition (Python docstrings). */
  innerDoc?(node: Node): string | undefined;
}

export const field = (node: Node, name: string): Node | undefined => node.childForFieldName(name) ?? undefined;

/** Named children without the nulls web-tree-sitter's typing allows. */
export const children = (node: Node | undefined): Node[] => (node ? (node.namedChildren.filter(Boolean) as Node[]) : []);

export const nameOf = (node: Node, fieldName = 'name'): string[] => {
  const n = field(node, fieldName);
  return n ? [n.text] : [];
};

/** A container whose members are the named children of one of its fields (usually `body`). */
export const bodyOf = (node: Node, qualifier: string | undefined, fieldName = 'body'): Container | undefined => {
  const body = field(node, fieldName);
  return body ? { members: children(body), qualifier } : undefined;
};
