/**
 * The words of a doc comment or docstring without its markers, so ranking can weigh what a
 * definition says about itself: `/** … *\/`, `///`, `//!`, `//`, `#` and Python's quotes.
 */
export function docText(raw: string): string {
  const s = raw.trim();
  const quoted = /^[rRuUbB]{0,2}("""|'''|"|')([\s\S]*)\1$/.exec(s);
  const body = quoted ? quoted[2] : s.replace(/^\/\*+!?/, '').replace(/\*+\/$/, '');
  const lines = body.split('\n').map((l) => (quoted ? l : l.replace(/^\s*(\/\/[/!]?|\*(?!\/)|#+)?/, '')));
  // drop the common indentation docstrings carry, then blank edges
  const indent = Math.min(...lines.slice(1).filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length), Infinity);
  return lines
    .map((l, i) => (i > 0 && Number.isFinite(indent) ? l.slice(indent) : l).trimEnd())
    .join('\n')
    .replace(/^\s*\n|\n\s*$/g, '')
    .trim();
}
