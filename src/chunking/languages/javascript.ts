import type { Node } from '../grammars.js';
import { bodyOf, children, field, nameOf, type Container, type LanguageSpec } from './spec.js';

/** TypeScript, TSX and JavaScript, including CommonJS and prototype styles. */

const CLASSES = new Set(['class_declaration', 'abstract_class_declaration', 'class']);
const NAMED = new Set([
  ...CLASSES,
  'function_declaration', 'generator_function_declaration', 'function_signature',
  'interface_declaration', 'type_alias_declaration', 'enum_declaration', 'internal_module', 'module',
  'method_definition', 'method_signature', 'abstract_method_signature',
]);
const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'function', 'generator_function', 'class']);
const isFunction = (n: Node | undefined) => !!n && FUNCTION_VALUES.has(n.type);

/** The declaration a wrapper stands for: `export` and `declare` wrap one. */
function unwrap(node: Node): Node {
  if (node.type === 'export_statement') {
    const inner = field(node, 'declaration') ?? field(node, 'value');
    return inner ? unwrap(inner) : node;
  }
  if (node.type === 'ambient_declaration') {
    const inner = children(node).find((c) => c.type !== 'comment');
    return inner ? unwrap(inner) : node;
  }
  return node;
}

/** `module.exports.x` / `exports.x` → x; `Foo.prototype.bar` → Foo.bar; other member chains as written. */
function memberName(left: Node): string {
  return left.text.replace(/^(module\.)?exports\./, '').replace(/\.prototype\./, '.').replace(/\s+/g, '');
}

const assignment = (node: Node): Node | undefined => {
  const expr = node.type === 'expression_statement' ? children(node)[0] : undefined;
  return expr?.type === 'assignment_expression' ? expr : undefined;
};

const isExportsTarget = (left: Node) => /^(module\.)?exports\.[\w$]+$/.test(left.text);

/** `Object.defineProperty(obj, 'name', …)`, `defineGetter(req, 'ip', fn)`, `obj.__defineGetter__('x', fn)`. */
function definedProperty(node: Node): string | undefined {
  const call = node.type === 'expression_statement' ? children(node)[0] : undefined;
  if (call?.type !== 'call_expression') return undefined;
  const callee = field(call, 'function');
  if (!callee || !/define\w*(Property|Getter|Setter)|defineGetter|defineSetter|^define$/i.test(callee.text.split('.').at(-1) ?? '')) return undefined;
  const args = children(field(call, 'arguments')).filter((a) => a.type !== 'comment');
  const strAt = args.findIndex((a) => a.type === 'string');
  if (strAt < 0) return undefined;
  const prop = args[strAt].text.slice(1, -1);
  const target = strAt > 0 ? args[strAt - 1].text : callee.type === 'member_expression' ? field(callee, 'object')?.text : undefined;
  return target ? `${target.replace(/\.prototype$/, '')}.${prop}` : prop;
}

function names(node: Node): string[] {
  const decl = unwrap(node);
  if (NAMED.has(decl.type)) {
    const n = nameOf(decl);
    return n.length ? n : node.type === 'export_statement' ? ['default'] : [];
  }
  if (node.type === 'export_statement' && isFunction(decl)) return [field(decl, 'name')?.text ?? 'default'];
  if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
    return children(decl)
      .filter((d) => d.type === 'variable_declarator' && isFunction(field(d, 'value')))
      .flatMap((d) => nameOf(d));
  }
  if (decl.type === 'public_field_definition' || decl.type === 'field_definition') {
    return isFunction(field(decl, 'value')) ? nameOf(decl).concat(nameOf(decl, 'property')) : [];
  }
  if (decl.type === 'pair') {
    const key = field(decl, 'key');
    return key && isFunction(field(decl, 'value')) ? [key.text.replace(/^['"]|['"]$/g, '')] : [];
  }
  const assign = assignment(decl);
  if (assign) {
    const left = field(assign, 'left')!;
    const right = field(assign, 'right');
    if (left.text === 'module.exports' || left.text === 'exports') return isFunction(right) ? [field(right!, 'name')?.text ?? 'module.exports'] : [];
    if (isExportsTarget(left)) return [memberName(left)];
    if (isFunction(right) && (left.type === 'member_expression' || left.type === 'identifier')) return [memberName(left)];
    return [];
  }
  const defined = definedProperty(decl);
  return defined ? [defined] : [];
}

/** An object literal's members, qualified by `qualifier`. */
const objectMembers = (obj: Node | undefined, qualifier: string | undefined): Container | undefined =>
  obj?.type === 'object' ? { members: children(obj), qualifier } : undefined;

function container(node: Node): Container | undefined {
  const decl = unwrap(node);
  if (CLASSES.has(decl.type)) return bodyOf(decl, field(decl, 'name')?.text ?? 'default');
  if (decl.type === 'internal_module' || decl.type === 'module') return bodyOf(decl, field(decl, 'name')?.text);
  if (node.type === 'ambient_declaration' && decl.type === 'statement_block') return { members: children(decl) }; // declare global { … }
  if (node.type === 'export_statement' && decl.type === 'object') return objectMembers(decl, undefined); // export default { … }
  if (decl.type === 'lexical_declaration' || decl.type === 'variable_declaration') {
    const declarators = children(decl).filter((d) => d.type === 'variable_declarator');
    if (declarators.length !== 1) return undefined;
    let value = field(declarators[0], 'value');
    while (value?.type === 'assignment_expression') value = field(value, 'right'); // const proto = module.exports = { … }
    if (value?.type === 'class') return bodyOf(value, field(declarators[0], 'name')?.text);
    return objectMembers(value, field(declarators[0], 'name')?.text);
  }
  const assign = assignment(decl);
  if (assign) {
    const left = field(assign, 'left')!;
    const right = field(assign, 'right');
    if (right?.type === 'class') return bodyOf(right, memberName(left));
    if (left.text === 'module.exports' || left.text === 'exports') return objectMembers(right, undefined);
    return objectMembers(right, memberName(left).replace(/\.prototype$/, ''));
  }
  return undefined;
}

export const javascript: LanguageSpec = {
  separator: '.',
  attached: new Set(['comment', 'decorator']),
  names,
  container,
  isDoc: (c) => c.text.startsWith('/**'),
};
