/** Sparse (SPLADE) term weights: term -> positive weight, L2-normalised. */
export type SparseVector = Record<string, number>;

export interface SparseContract {
  model: string;
  topK: number;
  minWeight: number;
}
