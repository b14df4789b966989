/** Artifact keys of a run: one place so producer and workers agree. */
const pad = (n: number) => String(n).padStart(5, '0');

export const artifactKeys = {
  run: (runId: string) => `runs/${runId}`,
  plan: (runId: string) => `runs/${runId}/plan.json`,
  chunks: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.chunks.json`,
  dense: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.dense.f32`,
  denseContract: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.dense.json`,
  sparse: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.sparse.json`,
};

/** Deterministic child job ids (BullMQ custom ids may not contain ':'). */
export const childJobIds = {
  sink: (runId: string, batch: number) => `${runId}-b${pad(batch)}-sink`,
  dense: (runId: string, batch: number) => `${runId}-b${pad(batch)}-dense`,
  sparse: (runId: string, batch: number) => `${runId}-b${pad(batch)}-sparse`,
};
