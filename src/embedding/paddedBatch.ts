import type { EncodedText } from './tokenizer.js';

/** A right-padded batch, flat row-major [batchSize, seqLen], ready for int64 tensors. */
export interface EncodedBatch {
  batchSize: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** real (unpadded) tokens per row, special tokens included */
  lengths: number[];
}

/** Right-pad already-encoded rows to the longest one (lets callers sort rows by length first). */
export function padBatch(rows: readonly EncodedText[], padId: number): EncodedBatch {
  const seqLen = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  const n = rows.length * seqLen;
  const inputIds = new BigInt64Array(n).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n);
  const tokenTypeIds = new BigInt64Array(n);
  rows.forEach((r, b) => {
    for (let j = 0; j < r.ids.length; j++) {
      inputIds[b * seqLen + j] = BigInt(r.ids[j]);
      attentionMask[b * seqLen + j] = 1n;
      tokenTypeIds[b * seqLen + j] = BigInt(r.typeIds[j]);
    }
  });
  return { batchSize: rows.length, seqLen, inputIds, attentionMask, tokenTypeIds, lengths: rows.map((r) => r.ids.length) };
}
