import type { Node } from '../grammars.js';
import { bodyOf, children, field, nameOf, type Container, type LanguageSpec } from './spec.js';

const TYPES = new Set(['class_declaration', 'struct_declaration', 'interface_declaration', 'enum_declaration', 'record_declaration', 'record_struct_declaration']);
const MEMBERS = new Set([
  'method_declaration', 'constructor_declaration', 'destructor_declaration', 'property_declaration',
  'delegate_declaration', 'local_function_statement',
]);

const PREPROC_BLOCKS = new Set(['preproc_if', 'preproc_elif', 'preproc_else']);

const modifiers = (node: Node) => children(node).filter((c) => c.type === 'modifier').map((c) => c.text);

/** Variables a field or event declares: `const` fields and events are named, other fields are not. */
function declaredVariables(node: Node): string[] {
  const mods = modifiers(node);
  if (node.type === 'field_declaration' && !mods.includes('const') && !(mods.includes('static') && mods.includes('readonly'))) return [];
  const decl = children(node).find((c) => c.type === 'variable_declaration');
  return children(decl).filter((d) => d.type === 'variable_declarator').flatMap((d) => nameOf(d));
}

function container(node: Node): Container | undefined {
  if (TYPES.has(node.type)) return bodyOf(node, field(node, 'name')?.text);
  if (node.type === 'namespace_declaration') return bodyOf(node, undefined);
  // `#if HAVE_LINQ … #endif` often wraps a whole file or a group of members
  if (PREPROC_BLOCKS.has(node.type)) return { members: children(node).filter((c) => c !== field(node, 'condition')) };
  // `namespace X;` holds the declarations after it as its own children
  if (node.type === 'file_scoped_namespace_declaration') return { members: children(node).filter((c) => c !== field(node, 'name')) };
  return undefined;
}

export const csharp: LanguageSpec = {
  separator: '.',
  attached: new Set(['comment', 'attribute_list']),
  names(node) {
    if (TYPES.has(node.type) || MEMBERS.has(node.type)) return nameOf(node);
    if (node.type === 'field_declaration' || node.type === 'event_field_declaration') return declaredVariables(node);
    if (node.type === 'event_declaration') return nameOf(node);
    if (node.type === 'indexer_declaration') return ['this[]'];
    if (node.type === 'operator_declaration') return [`operator ${field(node, 'operator')?.text ?? ''}`.trim()];
    return [];
  },
  container,
  isDoc: (c) => c.text.startsWith('///') || c.text.startsWith('/**'),
};
