import { open } from 'node:fs/promises';

/**
 * The first bytes of a FAISS index file: every index type libfaiss writes
 * starts with a four-character code followed by the common index header
 * (`d` as int32, `ntotal` as int64, little-endian). Reading 16 bytes tells
 * readiness an index's dimension without loading gigabytes of vectors.
 */
export interface FaissFileHeader {
  /** e.g. "IxFI" (flat, inner product), "IwFl" (IVF-Flat), "IHNf" (HNSW) */
  fourcc: string;
  dim: number;
  ntotal: number;
}

export async function readFaissHeader(file: string): Promise<FaissFileHeader> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    if (bytesRead < 16) throw new Error(`${file} is too short to be a FAISS index (${bytesRead} bytes)`);
    const fourcc = buf.toString('latin1', 0, 4);
    if (!/^[A-Za-z0-9]{4}$/.test(fourcc)) throw new Error(`${file} does not start with a FAISS index code`);
    const dim = buf.readInt32LE(4);
    const ntotal = Number(buf.readBigInt64LE(8));
    if (dim <= 0 || ntotal < 0) throw new Error(`${file} has an implausible FAISS header (d=${dim}, ntotal=${ntotal})`);
    return { fourcc, dim, ntotal };
  } finally {
    await fh.close();
  }
}
