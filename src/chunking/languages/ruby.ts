import type { Node } from '../grammars.js';
import { children, field, type Container, type LanguageSpec } from './spec.js';

const ATTRIBUTES = /^attr_(reader|writer|accessor)$/;

function names(node: Node): string[] {
  switch (node.type) {
    case 'class':
    case 'module':
    case 'method':
      return field(node, 'name') ? [field(node, 'name')!.text] : [];
    case 'singleton_method':
      return field(node, 'name') ? [field(node, 'name')!.text] : [];
    case 'assignment': {
      const left = field(node, 'left');
      return left?.type === 'constant' ? [left.text] : [];
    }
    case 'call': {
      // attr_accessor :a, :b defines methods a and b
      const method = field(node, 'method')?.text ?? '';
      if (!ATTRIBUTES.test(method) && method !== 'define_method') return [];
      return children(field(node, 'arguments')).filter((a) => a.type === 'simple_symbol').map((a) => a.text.slice(1));
    }
    default:
      return [];
  }
}

/** `if defined?(X)`, `unless`, `def x … end if cond`, `begin … rescue LoadError` around definitions at class or file level. */
const BRANCHES = new Set(['if', 'unless', 'if_modifier', 'unless_modifier', 'begin', 'then', 'else', 'elsif', 'rescue', 'ensure']);

const branchStatements = (node: Node): Node[] =>
  children(node)
    .filter((c) => c !== field(node, 'condition'))
    .flatMap((c) => (BRANCHES.has(c.type) ? branchStatements(c) : [c]));

function container(node: Node): Container | undefined {
  if (BRANCHES.has(node.type)) return { members: branchStatements(node) };
  if (node.type !== 'class' && node.type !== 'module' && node.type !== 'singleton_class') return undefined;
  const body = field(node, 'body') ?? children(node).find((c) => c.type === 'body_statement');
  return { members: children(body), qualifier: node.type === 'singleton_class' ? undefined : field(node, 'name')?.text };
}

export const ruby: LanguageSpec = {
  separator: '::',
  attached: new Set(['comment']),
  names,
  container,
  join: (owner, name, member) => `${owner}${member.type === 'method' || member.type === 'call' ? '#' : member.type === 'singleton_method' ? '.' : '::'}${name}`,
  isDoc: (c) => c.text.startsWith('#') && !c.text.startsWith('#!'),
};
