import type { Node } from '../grammars.js';
import { children, field, nameOf, type LanguageSpec } from './spec.js';

/** `(c *Command)` → Command; `(Foo[T])` → Foo. */
function receiverType(method: Node): string | undefined {
  const param = children(field(method, 'receiver')).find((p) => p.type === 'parameter_declaration');
  const type = param && field(param, 'type');
  return type?.text.replace(/^\*/, '').replace(/\[.*$/, '');
}

export const go: LanguageSpec = {
  separator: '.',
  attached: new Set(['comment']),
  names(node) {
    switch (node.type) {
      case 'function_declaration':
        return nameOf(node);
      case 'method_declaration': {
        const recv = receiverType(node);
        return nameOf(node).map((n) => (recv ? `${recv}.${n}` : n));
      }
      case 'type_declaration':
        return children(node)
          .filter((s) => s.type === 'type_spec' || s.type === 'type_alias')
          .flatMap((s) => {
            const name = field(s, 'name')?.text;
            if (!name) return [];
            const type = field(s, 'type');
            // interface methods are members a caller looks for by name
            const methods = type?.type === 'interface_type' ? children(type).filter((m) => m.type === 'method_elem').flatMap((m) => nameOf(m)) : [];
            return [name, ...methods.map((m) => `${name}.${m}`)];
          });
      case 'const_declaration':
      case 'var_declaration':
        return children(node)
          .flatMap((s) => (s.type === 'var_spec_list' ? children(s) : [s]))
          .filter((s) => s.type === 'const_spec' || s.type === 'var_spec')
          .flatMap((s) => children(s).filter((c) => c.type === 'identifier').map((c) => c.text));
      default:
        return [];
    }
  },
  container: () => undefined, // Go methods live at top level and name their receiver
  isDoc: () => true, // any comment right above a declaration is its doc comment
};
