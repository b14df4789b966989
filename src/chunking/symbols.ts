import type Parser from 'tree-sitter';

/** What the tree-sitter grammars (typescript, tsx, javascript, python) call the declarations we name. */

type Node = Parser.SyntaxNode;

const CLASS_TYPES = new Set(['class_declaration', 'abstract_class_declaration', 'class', 'class_definition']);
const FUNCTION_TYPES = new Set(['function_declaration', 'generator_function_declaration', 'function_signature', 'function_definition']);
const OTHER_NAMED = new Set(['interface_declaration', 'type_alias_declaration', 'enum_declaration', 'internal_module', 'module']);
const METHOD_TYPES = new Set(['method_definition', 'method_signature', 'abstract_method_signature']);
const FIELD_TYPES = new Set(['public_field_definition', 'field_definition']);
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function', 'class']);
/** Nodes that belong to the declaration after them rather than standing on their own. */
const ATTACHED = new Set(['comment', 'decorator']);

const field = (node: Node, name: string) => node.childForFieldName(name) ?? undefined;

/** The declaration a wrapper stands for: `export`, `declare` and Python decorators wrap one. */
export function unwrap(node: Node): Node {
  switch (node.type) {
    case 'export_statement': {
      const inner = field(node, 'declaration') ?? field(node, 'value');
      return inner ? unwrap(inner) : node;
    }
    case 'ambient_declaration': {
      const inner = node.namedChildren.find((c) => !ATTACHED.has(c.type));
      return inner ? unwrap(inner) : node;
    }
    case 'decorated_definition': {
      const inner = field(node, 'definition');
      return inner ? unwrap(inner) : node;
    }
    default:
      return node;
  }
}

const isFunctionValue = (node: Node | undefined) => !!node && FUNCTION_VALUES.has(node.type);

/** Names a top-level statement or class member declares (functions, classes, types, const arrows). */
export function declaredNames(node: Node): string[] {
  const decl = unwrap(node);
  const name = field(decl, 'name')?.text;
  if (CLASS_TYPES.has(decl.type) || FUNCTION_TYPES.has(decl.type) || OTHER_NAMED.has(decl.type) || METHOD_TYPES.has(decl.type)) {
    return name ? [name] : node.type === 'export_statement' ? ['default'] : [];
  }
  if (node.type === 'export_statement' && isFunctionValue(decl)) return [name ?? 'default'];
  if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
    return decl.namedChildren
      .filter((d) => d.type === 'variable_declarator' && isFunctionValue(field(d, 'value')))
      .map((d) => field(d, 'name')!.text);
  }
  if (FIELD_TYPES.has(decl.type) && isFunctionValue(field(decl, 'value'))) {
    const fieldName = field(decl, 'name') ?? field(decl, 'property');
    return fieldName ? [fieldName.text] : [];
  }
  return [];
}

/** The class a statement declares, if any (through export/decorator wrappers). */
export function classOf(node: Node): Node | undefined {
  const decl = unwrap(node);
  return CLASS_TYPES.has(decl.type) ? decl : undefined;
}

/** Members of a class body, in source order. */
export const classMembers = (cls: Node): Node[] => field(cls, 'body')?.namedChildren ?? [];

/** Comments and decorators do not start a chunk of their own: they travel with what follows. */
export const isAttached = (node: Node): boolean => ATTACHED.has(node.type);
