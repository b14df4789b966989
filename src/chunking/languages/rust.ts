import type { Node } from '../grammars.js';
import { bodyOf, field, nameOf, type LanguageSpec } from './spec.js';

const NAMED = new Set([
  'function_item', 'function_signature_item', 'struct_item', 'enum_item', 'union_item', 'trait_item',
  'mod_item', 'macro_definition', 'const_item', 'static_item', 'type_item', 'associated_type',
]);

/** `Value<T>` → Value, `&'a mut Foo` → Foo, `Vec<u8>` → Vec. */
const baseType = (type: Node | undefined) => type?.text.replace(/^&('\w+\s+)?(mut\s+)?/, '').replace(/<.*$/s, '').trim();

const docComment = (c: Node) => /^(\/\/\/|\/\*\*)/.test(c.text) && !c.text.startsWith('////');
const innerDocComment = (c: Node) => /^(\/\/!|\/\*!)/.test(c.text);

export const rust: LanguageSpec = {
  separator: '::',
  attached: new Set(['line_comment', 'block_comment', 'attribute_item', 'inner_attribute_item']),
  names: (node) => (NAMED.has(node.type) ? nameOf(node) : []),
  container(node) {
    switch (node.type) {
      case 'impl_item':
        return bodyOf(node, baseType(field(node, 'type')));
      case 'trait_item':
      case 'mod_item':
        return bodyOf(node, field(node, 'name')?.text);
      case 'foreign_mod_item':
        return bodyOf(node, undefined);
      default:
        return undefined;
    }
  },
  isDoc: docComment,
  isInnerDoc: innerDocComment,
};
