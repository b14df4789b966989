/**
 * Strings by position (chunk ids by doc number or FAISS label, terms by term
 * id) in flat typed arrays instead of a JS array of strings and a Map: at 1M
 * chunks the id strings cost ~87 MB of V8 heap per copy and a Map another
 * ~28 MB. Here a table whose strings are all 32 hex digits (chunkId()) takes
 * 16 bytes a string, any other its UTF-8 bytes plus a 4-byte offset, and the
 * optional string → position lookup 12 bytes a string (its hash, and an
 * open-addressing table at most half full).
 */
export interface StringTable {
  readonly size: number;
  /** the id at `position` (0 ≤ position < size) */
  at(position: number): string;
  /** the first position holding `id`, or -1 (only for a table built with `lookup`) */
  indexOf(id: string): number;
  /** bytes held, for memory estimates */
  readonly byteLength: number;
}

const HEX_ID = /^[0-9a-f]{32}$/;
const HEX_BYTES = 16;

/** FNV-1a over the UTF-16 code units: the same for a string however it was made. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface StringTableBuilder {
  /** the next position's id */
  push(id: string): void;
  finish(): StringTable;
}

/** Add ids in position order, then finish(). `lookup`: also answer indexOf. */
export function stringTableBuilder(opts: { lookup?: boolean; expected?: number } = {}): StringTableBuilder {
  let capacity = Math.max(16, opts.expected ?? 0);
  // hex ids as 16 bytes each until one id is not 32 hex digits; then every id as UTF-8 with offsets
  let hex: Uint8Array | null = new Uint8Array(capacity * HEX_BYTES);
  let bytes: Buffer | null = null;
  let offsets: Uint32Array | null = null;
  let used = 0;
  let hashes = opts.lookup ? new Uint32Array(capacity) : null;
  let n = 0;

  const grow = () => {
    capacity *= 2;
    if (hex) hex = copyInto(new Uint8Array(capacity * HEX_BYTES), hex);
    if (offsets) offsets = copyInto(new Uint32Array(capacity + 1), offsets);
    if (hashes) hashes = copyInto(new Uint32Array(capacity), hashes);
  };
  const appendBytes = (id: string) => {
    const len = Buffer.byteLength(id, 'utf8');
    if (used + len > bytes!.length) bytes = copyInto(Buffer.allocUnsafe(Math.max(bytes!.length * 2, used + len)), bytes!.subarray(0, used));
    used += bytes!.write(id, used, 'utf8');
  };
  const toGeneric = () => {
    bytes = Buffer.allocUnsafe(Math.max(1024, capacity * 40));
    offsets = new Uint32Array(capacity + 1);
    const view = Buffer.from(hex!.buffer, hex!.byteOffset, hex!.byteLength);
    for (let i = 0; i < n; i++) {
      appendBytes(view.toString('hex', i * HEX_BYTES, (i + 1) * HEX_BYTES));
      offsets[i + 1] = used;
    }
    hex = null;
  };

  return {
    push(id) {
      if (n === capacity) grow();
      if (hex && !HEX_ID.test(id)) toGeneric();
      if (hex) Buffer.from(hex.buffer, hex.byteOffset + n * HEX_BYTES, HEX_BYTES).write(id, 'hex');
      else {
        appendBytes(id);
        offsets![n + 1] = used;
      }
      if (hashes) hashes[n] = hashOf(id);
      n++;
    },
    finish() {
      const packed = hex ? hex.slice(0, n * HEX_BYTES) : null;
      const text = bytes ? Buffer.from(bytes.subarray(0, used)) : null;
      const ends = offsets ? offsets.slice(0, n + 1) : null;
      const view = packed ? Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength) : null;
      const at = (i: number): string => {
        if (!(i >= 0 && i < n)) throw new RangeError(`string table position ${i} is outside [0, ${n})`);
        return view ? view.toString('hex', i * HEX_BYTES, (i + 1) * HEX_BYTES) : text!.toString('utf8', ends![i], ends![i + 1]);
      };
      let slots: Int32Array | null = null;
      let mask = 0;
      if (hashes) {
        let size = 16;
        while (size < n * 2) size *= 2;
        mask = size - 1;
        slots = new Int32Array(size); // position + 1; 0 = empty
        for (let i = 0; i < n; i++) {
          let s = hashes[i] & mask;
          while (slots[s] !== 0) {
            // the first position of a repeated id wins, as an array's indexOf would
            if (hashes[slots[s] - 1] === hashes[i] && at(slots[s] - 1) === at(i)) break;
            s = (s + 1) & mask;
          }
          if (slots[s] === 0) slots[s] = i + 1;
        }
      }
      const storedHashes = hashes ? hashes.slice(0, n) : null;
      // the table's functions share this closure: drop the builder's oversized arrays, or they stay alive beside the copies
      hashes = null;
      hex = null;
      bytes = null;
      offsets = null;
      const byteLength = (packed?.byteLength ?? 0) + (text?.byteLength ?? 0) + (ends?.byteLength ?? 0) + (slots?.byteLength ?? 0) + (storedHashes?.byteLength ?? 0);
      return {
        size: n,
        at,
        indexOf(id) {
          if (!slots) throw new Error('this string table was built without lookup');
          const h = hashOf(id);
          for (let s = h & mask; slots[s] !== 0; s = (s + 1) & mask) {
            const i = slots[s] - 1;
            if (storedHashes![i] === h && at(i) === id) return i;
          }
          return -1;
        },
        byteLength,
      };
    },
  };
}

export function stringTable(ids: Iterable<string>, opts: { lookup?: boolean } = {}): StringTable {
  const b = stringTableBuilder({ ...opts, expected: Array.isArray(ids) ? ids.length : undefined });
  for (const id of ids) b.push(id);
  return b.finish();
}

function copyInto<T extends Uint8Array | Uint32Array>(to: T, from: T): T {
  to.set(from.subarray(0, Math.min(from.length, to.length)) as never);
  return to;
}
