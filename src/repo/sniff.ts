/** Content checks that decide whether a file is worth chunking. */

const SNIFF_BYTES = 8 * 1024;
/** Average line length above which a file is treated as generated/minified. */
export const MAX_AVERAGE_LINE_CHARS = 300;

/** git's own heuristic: a NUL byte near the start means binary. */
export function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, SNIFF_BYTES);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}

/**
 * Minified bundles, lockfile blobs, base64 dumps: any line over `maxLineChars`, or lines
 * that are long on average. Such files make useless chunks and blow token budgets.
 * Works on UTF-8 bytes (continuation bytes not counted) so a file is never decoded just to be rejected.
 */
export function looksMinified(bytes: Uint8Array, maxLineChars: number): boolean {
  let lineChars = 0;
  let totalChars = 0;
  let lines = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 10) {
      lines++;
      lineChars = 0;
    } else if ((b & 0xc0) !== 0x80) {
      totalChars++;
      if (++lineChars > maxLineChars) return true;
    }
  }
  if (lineChars > 0) lines++; // last line without a trailing newline
  return lines > 0 && totalChars / lines > MAX_AVERAGE_LINE_CHARS;
}

export type ContentVerdict = 'binary' | 'minified' | undefined;

export function sniffContent(bytes: Uint8Array, maxLineChars: number): ContentVerdict {
  if (looksBinary(bytes)) return 'binary';
  if (looksMinified(bytes, maxLineChars)) return 'minified';
  return undefined;
}
