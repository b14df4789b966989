import type { Node } from '../grammars.js';
import { bodyOf, children, field, nameOf, type Container, type LanguageSpec } from './spec.js';

const TYPES = new Set(['class_declaration', 'interface_declaration', 'enum_declaration', 'record_declaration', 'annotation_type_declaration']);
const MEMBERS = new Set(['method_declaration', 'constructor_declaration', 'compact_constructor_declaration', 'annotation_type_element_declaration']);

/** `static final` fields are the constants worth naming; interface fields are constants too. */
function constants(field_: Node): string[] {
  const mods = children(field_).find((c) => c.type === 'modifiers')?.text ?? '';
  const inInterface = field_.parent?.type === 'interface_body';
  if (!inInterface && !(/\bstatic\b/.test(mods) && /\bfinal\b/.test(mods))) return [];
  return children(field_).filter((d) => d.type === 'variable_declarator').flatMap((d) => nameOf(d));
}

/** `new Foo() { … }` assigned to the field's only variable. */
function anonymousClassBody(field_: Node): Node | undefined {
  const declarators = children(field_).filter((d) => d.type === 'variable_declarator');
  let value = declarators.length === 1 ? field(declarators[0], 'value') : undefined;
  while (value?.type === 'method_invocation') value = field(value, 'object'); // new TypeAdapter<>() { … }.nullSafe()
  return value?.type === 'object_creation_expression' ? children(value).find((c) => c.type === 'class_body') : undefined;
}

function container(node: Node): Container | undefined {
  // enum constants with bodies (`UPPER { String translate() {…} }`) and anonymous classes in fields hold methods too
  if (node.type === 'enum_constant') return bodyOf(node, field(node, 'name')?.text);
  if (node.type === 'field_declaration' || node.type === 'constant_declaration') {
    const body = anonymousClassBody(node);
    const name = children(node).find((d) => d.type === 'variable_declarator');
    return body && name ? { members: children(body), qualifier: field(name, 'name')?.text } : undefined;
  }
  if (!TYPES.has(node.type)) return undefined;
  const name = field(node, 'name')?.text;
  const body = field(node, 'body');
  if (node.type === 'enum_declaration' && body) {
    // enum constants, then the class-like members after the `;`
    const decls = children(body).find((c) => c.type === 'enum_body_declarations');
    return { members: [...children(body).filter((c) => c.type !== 'enum_body_declarations'), ...children(decls)], qualifier: name };
  }
  return bodyOf(node, name);
}

export const java: LanguageSpec = {
  separator: '.',
  attached: new Set(['line_comment', 'block_comment']),
  names(node) {
    if (TYPES.has(node.type) || MEMBERS.has(node.type)) return nameOf(node);
    if (node.type === 'field_declaration' || node.type === 'constant_declaration') return constants(node);
    if (node.type === 'enum_constant') return nameOf(node);
    return [];
  },
  container,
  isDoc: (c) => c.text.startsWith('/**') || c.text.startsWith('///'),
};
