/**
 * Reading what an OpenAI-compatible embeddings server answered: the vectors
 * on success, a human message and a classification on failure.
 */

const MAX_MESSAGE_CHARS = 500;

/**
 * The server's own words from an error body. Understands the OpenAI shape
 * `{error:{message}}`, vLLM's older flat `{message}`, FastAPI's `{detail}`,
 * and falls back to the raw text.
 */
export function serverMessage(bodyText: string): string {
  let msg: string = bodyText;
  try {
    const j = JSON.parse(bodyText) as Record<string, unknown> | null;
    if (j && typeof j === 'object') {
      const err = j.error;
      if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
        msg = (err as { message: string }).message;
      } else if (typeof err === 'string') msg = err;
      else if (typeof j.message === 'string') msg = j.message;
      else if (j.detail !== undefined) msg = typeof j.detail === 'string' ? j.detail : JSON.stringify(j.detail);
    }
  } catch {
    // not JSON: keep the text
  }
  msg = msg.trim();
  return msg.length > MAX_MESSAGE_CHARS ? `${msg.slice(0, MAX_MESSAGE_CHARS)}…` : msg;
}

const OOM_PATTERN = /out of memory|\bOOM\b/i;

export type FailureKind = 'oom' | 'retry' | 'fatal';

/**
 * What to do about a non-2xx answer:
 * - 413, or a 400/5xx that talks about running out of memory → 'oom' (caller halves the batch);
 * - 429 and other 5xx → 'retry' (overload or a restarting engine);
 * - any other 4xx → 'fatal' (the same request will fail again).
 */
export function classifyFailure(status: number, message: string): FailureKind {
  if (status === 413) return 'oom';
  if ((status === 400 || status >= 500) && OOM_PATTERN.test(message)) return 'oom';
  if (status === 429 || status >= 500) return 'retry';
  return 'fatal';
}

/**
 * Vectors from a successful answer, in input order (servers may answer out
 * of order; `index` is authoritative). Throws a plain Error naming the defect
 * when the answer does not describe exactly `count` equal-length vectors.
 */
export function parseEmbeddings(json: unknown, count: number): Float32Array[] {
  const data = (json as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error('response has no "data" array');
  if (data.length !== count) throw new Error(`expected ${count} embeddings, got ${data.length}`);
  const rows: (Float32Array | undefined)[] = new Array(count);
  let dim = -1;
  for (let i = 0; i < data.length; i++) {
    const item = data[i] as { index?: unknown; embedding?: unknown } | null;
    const index = item?.index ?? i;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
      throw new Error(`embedding ${i} has an invalid index ${JSON.stringify(index)}`);
    }
    if (rows[index]) throw new Error(`index ${index} appears twice`);
    const emb = item?.embedding;
    if (!Array.isArray(emb)) {
      throw new Error(`embedding ${index} is not a float array (was encoding_format "float" honoured?)`);
    }
    if (emb.length === 0) throw new Error(`embedding ${index} is empty`);
    if (dim === -1) dim = emb.length;
    if (emb.length !== dim) throw new Error(`embedding ${index} has dim ${emb.length}, expected ${dim} like the others`);
    const row = new Float32Array(dim);
    for (let k = 0; k < dim; k++) {
      const x = emb[k];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`embedding ${index} has a non-finite value`);
      row[k] = x;
    }
    rows[index] = row;
  }
  return rows as Float32Array[];
}
