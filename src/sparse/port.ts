import type { SparseContract, SparseVector } from '../contracts/sparse.js';

/** The sparse encoder port: SPLADE document mode and query mode. */
export interface SparseEncoder {
  readonly contract: SparseContract;
  encodeDocuments(texts: string[], signal?: AbortSignal): Promise<SparseVector[]>;
  encodeQuery(text: string, signal?: AbortSignal): Promise<SparseVector>;
  close(): Promise<void>;
}
