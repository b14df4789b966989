/** Dense vectors as bytes: header [count u32, dim u32] (little-endian), then row-major float32. */
export function encodeVectors(rows: Float32Array[]): Buffer {
  const dim = rows[0]?.length ?? 0;
  const buf = Buffer.alloc(8 + rows.length * dim * 4);
  buf.writeUInt32LE(rows.length, 0);
  buf.writeUInt32LE(dim, 4);
  const body = new Float32Array(buf.buffer, buf.byteOffset + 8, rows.length * dim);
  rows.forEach((row, i) => {
    if (row.length !== dim) throw new Error(`vector ${i} has ${row.length} values, expected ${dim}`);
    body.set(row, i * dim);
  });
  return buf;
}

export function decodeVectors(buf: Buffer): Float32Array[] {
  const count = buf.readUInt32LE(0);
  const dim = buf.readUInt32LE(4);
  // copy into an aligned buffer: Buffer offsets are not always 4-byte aligned
  const body = new Float32Array(count * dim);
  new Uint8Array(body.buffer).set(buf.subarray(8, 8 + count * dim * 4));
  return Array.from({ length: count }, (_, i) => body.subarray(i * dim, (i + 1) * dim));
}
