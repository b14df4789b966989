import type { Node } from '../grammars.js';
import { bodyOf, children, field, nameOf, type LanguageSpec } from './spec.js';

const unwrap = (node: Node): Node => (node.type === 'decorated_definition' ? (field(node, 'definition') ?? node) : node);

/** The string a body starts with: the docstring. */
function docstring(node: Node): string | undefined {
  const decl = unwrap(node);
  // the module's docstring: a string statement first in the file
  if (decl.type === 'expression_statement' && decl.parent?.type === 'module' && !decl.previousNamedSibling) {
    const str = children(decl)[0];
    return str?.type === 'string' ? str.text : undefined;
  }
  if (decl.type !== 'function_definition' && decl.type !== 'class_definition') return undefined;
  const first = children(field(decl, 'body'))[0];
  const str = first?.type === 'expression_statement' ? children(first)[0] : undefined;
  return str?.type === 'string' ? str.text : undefined;
}

/** `if TYPE_CHECKING:` / `try: … except ImportError:` blocks define things at module or class level. */
const BRANCHES = new Set(['if_statement', 'try_statement']);
const CLAUSES = new Set(['elif_clause', 'else_clause', 'except_clause', 'finally_clause', 'block']);

/** The statements of every branch of an if/try, in source order. */
function branchStatements(node: Node): Node[] {
  return children(node).flatMap((c) => (c.type === 'block' ? children(c) : CLAUSES.has(c.type) ? branchStatements(c) : []));
}

/** UPPER_CASE module constants are the ones worth naming. */
const CONSTANT = /^[A-Z][A-Z0-9_]*$/;

export const python: LanguageSpec = {
  separator: '.',
  attached: new Set(['comment', 'decorator']),
  names(node) {
    const decl = unwrap(node);
    if (decl.type === 'function_definition' || decl.type === 'class_definition') return nameOf(decl);
    if (decl.type === 'expression_statement') {
      const assign = children(decl)[0];
      const left = assign?.type === 'assignment' ? field(assign, 'left') : undefined;
      if (left?.type === 'identifier' && CONSTANT.test(left.text)) return [left.text];
    }
    return [];
  },
  container(node) {
    const decl = unwrap(node);
    if (BRANCHES.has(decl.type)) return { members: branchStatements(decl) };
    return decl.type === 'class_definition' ? bodyOf(decl, field(decl, 'name')?.text) : undefined;
  },
  isDoc: () => false, // Python documents with docstrings, not comments
  innerDoc: docstring,
};
