import type { Node } from '../grammars.js';
import { bodyOf, children, field, nameOf, type Container, type LanguageSpec } from './spec.js';

const TYPES = new Set(['class_declaration', 'interface_declaration', 'trait_declaration', 'enum_declaration']);

function names(node: Node): string[] {
  if (TYPES.has(node.type) || node.type === 'function_definition' || node.type === 'method_declaration') return nameOf(node);
  if (node.type === 'const_declaration') return children(node).filter((e) => e.type === 'const_element').flatMap((e) => children(e).filter((c) => c.type === 'name').slice(0, 1).map((c) => c.text));
  return [];
}

function container(node: Node): Container | undefined {
  if (TYPES.has(node.type)) return bodyOf(node, field(node, 'name')?.text);
  if (node.type === 'namespace_definition') return bodyOf(node, undefined);
  return undefined;
}

export const php: LanguageSpec = {
  separator: '::',
  attached: new Set(['comment', 'attribute_list']),
  names,
  container,
  isDoc: (c) => c.text.startsWith('/**'),
};
