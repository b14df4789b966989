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
  const text = lines
    .map((l, i) => (i > 0 && Number.isFinite(indent) ? l.slice(indent) : l).trimEnd())
    .join('\n')
    .replace(/^\s*\n|\n\s*$/g, '')
    .trim();
  return XML_DOC.test(text) ? withoutXmlTags(text) : text;
}

/** C# (and some C++) doc comments are XML: `<summary>`, `<param name="x">`, `<see cref="T"/>`. */
const XML_DOC = /<(summary|remarks|param|returns|typeparam|exception|value)\b/;

const withoutXmlTags = (text: string) =>
  text
    .replace(/<see(?:also)?\s+(?:cref|langword|href)="([^"]*)"\s*\/>/g, '$1')
    .replace(/<param(?:ref)?\s+name="([^"]*)"\s*\/>/g, '$1')
    .replace(/<param\s+name="([^"]*)">/g, '$1: ')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
