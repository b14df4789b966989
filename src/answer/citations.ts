/**
 * Progressive citations: watches the answer text as tokens arrive and
 * reports each source number the first time the model cites it, as `[n]`,
 * `[n, m]` or `[n][m]`, even when the brackets arrive split across tokens.
 * Numbers that name no source are ignored.
 */
export function createCitationTracker(validNumbers: Iterable<number>) {
  const valid = new Set(validNumbers);
  const cited: number[] = [];
  const seen = new Set<number>();
  let text = '';
  let scanFrom = 0;
  const CITE = /\[(\d{1,4}(?:\s*,\s*\d{1,4})*)\]/g;

  return {
    /** Append text; returns the numbers cited for the first time, in order. */
    push(delta: string): number[] {
      text += delta;
      const fresh: number[] = [];
      CITE.lastIndex = scanFrom;
      let lastEnd = scanFrom;
      for (let m = CITE.exec(text); m; m = CITE.exec(text)) {
        lastEnd = m.index + m[0].length;
        for (const part of m[1].split(',')) {
          const n = Number(part.trim());
          if (valid.has(n) && !seen.has(n)) {
            seen.add(n);
            cited.push(n);
            fresh.push(n);
          }
        }
      }
      // resume at an unclosed '[' (its citation may still be arriving), else at the end
      const open = text.lastIndexOf('[');
      scanFrom = open >= lastEnd && !text.includes(']', open) && text.length - open <= 32 ? open : text.length;
      return fresh;
    },
    /** Every cited number, in order of first mention. */
    cited: () => [...cited],
    text: () => text,
  };
}
