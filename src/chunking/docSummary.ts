/**
 * The summary of a doc comment: its first paragraph of description, before any
 * block tag. Every language's convention opens a doc with one (Javadoc/JSDoc's
 * summary sentence, Go's "Name does …", Rust's first paragraph, a Python
 * docstring's summary line), and it is what a user paraphrases when asking for
 * the definition, so ranking weighs it as a field of its own; the examples,
 * parameter lists and `@deprecated` notes after it are not.
 */
const MAX_WORDS = 60;

export function docSummary(doc: string): string {
  const lines: string[] = [];
  for (const line of doc.split('\n')) {
    const text = line.trim();
    // a blank line or a block tag (@param, @deprecated, @example) ends the description
    const ends = !text || text.startsWith('@');
    if (ends && lines.length > 0) break;
    if (!ends) lines.push(text);
  }
  return lines.join(' ').split(/\s+/).filter(Boolean).slice(0, MAX_WORDS).join(' ');
}
