import type { Node } from '../grammars.js';
import { bodyOf, children, field, nameOf, type Container, type LanguageSpec } from './spec.js';

/** C and C++ (one spec: C++ node types never occur in a C tree). */

const RECORDS = new Set(['struct_specifier', 'union_specifier', 'enum_specifier', 'class_specifier']);
const PREPROC_BLOCKS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef']);
const DECLARATORS = new Set(['function_declarator', 'pointer_declarator', 'reference_declarator', 'parenthesized_declarator', 'attributed_declarator', 'array_declarator', 'init_declarator']);

/** The name inside a declarator: `*(*foo)(int)` → foo, `Foo::bar(int) const` → Foo::bar. */
function declaratorName(node: Node | undefined, depth = 0): string | undefined {
  if (!node || depth > 8) return undefined;
  if (DECLARATORS.has(node.type)) return declaratorName(field(node, 'declarator') ?? children(node)[0], depth + 1);
  // `basic_buffer<T>::grow` → basic_buffer::grow: callers name the template, not its arguments
  if (node.type === 'operator_name' || node.type === 'destructor_name' || node.type === 'qualified_identifier') return node.text.replace(/(\w)<[^<>]*(<[^<>]*>[^<>]*)*>/g, '$1').replace(/\s+/g, ' ');
  if (/identifier$/.test(node.type) || node.type === 'operator_cast') return node.text;
  return undefined;
}

const isFunctionDeclarator = (node: Node | undefined, depth = 0): boolean =>
  !!node && depth < 8 && (node.type === 'function_declarator' || (DECLARATORS.has(node.type) && isFunctionDeclarator(field(node, 'declarator'), depth + 1)));

/** `template <…> class X` and `__attribute__`-wrapped declarations stand for what they wrap. */
function unwrap(node: Node): Node {
  if (node.type === 'friend_declaration') {
    const inner = children(node)[0];
    return inner ? unwrap(inner) : node;
  }
  if (node.type === 'template_declaration') {
    const inner = children(node).find((c) => c.type !== 'template_parameter_list');
    return inner ? unwrap(inner) : node;
  }
  return node;
}

/** A struct/union/enum/class with a body, declared directly or through `typedef` / a declaration. */
function recordOf(node: Node): Node | undefined {
  if (RECORDS.has(node.type) && field(node, 'body')) return node;
  if (node.type === 'type_definition' || node.type === 'declaration' || node.type === 'field_declaration') {
    const type = field(node, 'type');
    if (type && RECORDS.has(type.type) && field(type, 'body')) return type;
  }
  return undefined;
}

function names(node: Node): string[] {
  const decl = unwrap(node);
  switch (decl.type) {
    case 'function_definition': {
      const n = declaratorName(field(decl, 'declarator'));
      return n ? [n] : [];
    }
    case 'preproc_def':
    case 'preproc_function_def':
      return nameOf(decl);
    case 'alias_declaration':
    case 'concept_definition':
      return nameOf(decl);
    case 'type_definition': {
      const record = recordOf(decl);
      const tag = record ? nameOf(record) : [];
      const aliases = children(decl).filter((c) => c !== field(decl, 'type')).map((d) => declaratorName(d)).filter((n): n is string => !!n);
      return [...new Set([...tag, ...aliases])];
    }
    case 'declaration':
    case 'field_declaration': {
      const record = recordOf(decl);
      if (record) return nameOf(record);
      // prototypes and method declarations name a function; plain variables are left out
      return children(decl)
        .filter((d) => isFunctionDeclarator(d))
        .map((d) => declaratorName(d))
        .filter((n): n is string => !!n);
    }
    default:
      return RECORDS.has(decl.type) && field(decl, 'body') ? nameOf(decl) : [];
  }
}

function container(node: Node): Container | undefined {
  const decl = unwrap(node);
  const record = recordOf(decl);
  if (record) {
    const name = field(record, 'name')?.text;
    return record.type === 'enum_specifier' ? undefined : bodyOf(record, name ?? (decl.type === 'type_definition' ? names(decl)[0] : undefined));
  }
  if (decl.type === 'namespace_definition' || decl.type === 'linkage_specification') return bodyOf(decl, undefined);
  // include guards and #if blocks wrap whole headers: their contents are laid out like top-level code
  if (PREPROC_BLOCKS.has(decl.type)) return { members: children(decl).filter((c) => c !== field(decl, 'name') && c !== field(decl, 'condition')) };
  return undefined;
}

export const c: LanguageSpec = {
  separator: '::',
  attached: new Set(['comment']),
  names,
  container,
  isDoc: () => true, // C has no doc-comment syntax of its own: the comment right above is the doc
};
