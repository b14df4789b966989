/** Sparse (SPLADE) term weights: term -> positive weight, L2-normalised. */
export type SparseVector = Record<string, number>;

export interface SparseContract {
  model: string;
  topK: number;
  minWeight: number;
}

/** The sparse encoder port: SPLADE document mode and query mode. */
export interface SparseEncoder {
  readonly contract: SparseContract;
  encodeDocuments(texts: string[], signal?: AbortSignal): Promise<SparseVector[]>;
  encodeQuery(text: string, signal?: AbortSignal): Promise<SparseVector>;
  close(): Promise<void>;
}
