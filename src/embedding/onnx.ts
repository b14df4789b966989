import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { padBatch } from './paddedBatch.js';
import type { EncodedText } from './tokenizer.js';
import {
  declaredLastDim,
  openEncoder,
  runEncoder,
  runInBatches,
  type OnnxSession,
  type OnnxSessionFactory,
} from './onnxSession.js';
import { l2Normalize, type Embedder } from './port.js';
import { type EmbeddingContract } from '../contracts/embedding.js';

export type Pooling = 'mean' | 'cls' | 'last';

export interface OnnxEmbedderOptions {
  /** holds model.onnx + tokenizer.json (+ optional codeintel.json) */
  modelDir: string;
  pooling: Pooling;
  normalize: boolean;
  /** sequence length cap, special tokens included */
  maxTokens: number;
  /** ≥ 0: CUDA execution provider on this device; otherwise CPU */
  device?: number;
  /** onnxruntime intra-op threads (0/undefined: onnxruntime's choice) and spin-waiting (default off): see OnnxSessionOptions */
  threads?: number;
  allowSpinning?: boolean;
  /** split larger calls into runs of at most this many texts (default: one run per call) */
  batchSize?: number;
  /** prefixed verbatim to queries (e.g. "query: "); overrides codeintel.json */
  queryInstruction?: string;
  /** injectable for tests; defaults to onnxruntime-node */
  createSession?: OnnxSessionFactory;
}

/** Optional `<modelDir>/codeintel.json`: how this directory names itself. */
interface ModelCard {
  model_id?: string;
  query_instruction?: string;
}

export const MODEL_CARD_FILE = 'codeintel.json';

/**
 * The in-process dense embedder: a sentence-embedding encoder exported to
 * ONNX (MiniLM, BGE, E5, ...), run by onnxruntime-node on CPU or one GPU.
 * Token vectors are pooled under the attention mask so padding never leaks
 * into a text's vector, whatever batch it shares.
 */
export async function createOnnxEmbedder(opts: OnnxEmbedderOptions): Promise<Embedder> {
  const { modelDir, pooling, normalize, maxTokens } = opts;
  if (opts.batchSize !== undefined && opts.batchSize < 1) throw new Error(`batchSize must be ≥ 1 (got ${opts.batchSize})`);
  const opened = await openEncoder(modelDir, { ...opts, role: 'embedding', outputs: ['last_hidden_state', 'token_embeddings'] });
  const { tokenizer, output } = opened;
  let session: OnnxSession | undefined = opened.session;
  const card = await readModelCard(modelDir);
  const queryInstruction = opts.queryInstruction ?? card.query_instruction ?? '';

  const live = (): OnnxSession => {
    if (!session) throw new Error('ONNX embedder is closed');
    return session;
  };

  /** One onnxruntime run over already-encoded rows → one pooled vector per row. */
  const runRows = async (rows: EncodedText[], signal?: AbortSignal): Promise<Float32Array[]> => {
    const batch = padBatch(rows, tokenizer.padId);
    const { data, dims } = await runEncoder(live(), batch, output, signal);
    if (dims.length === 2) {
      // the export already pooled (e.g. a "sentence_embedding" output)
      const hidden = dims[1];
      return rows.map((_, b) => finish(data.slice(b * hidden, (b + 1) * hidden)));
    }
    if (dims.length !== 3 || dims[0] !== batch.batchSize || dims[1] !== batch.seqLen) {
      throw new Error(`${opened.modelPath}: output "${output}" has shape [${dims.join(', ')}]; expected [${batch.batchSize}, ${batch.seqLen}, hidden]`);
    }
    return rows.map((_, b) => finish(pool(data, dims[1], dims[2], b, batch.attentionMask, pooling)));
  };
  const finish = (v: Float32Array) => (normalize ? l2Normalize(v) : v);

  const embed = async (texts: string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    const rows = texts.map((t) => tokenizer.encode(t, maxTokens));
    return runInBatches(rows, opts.batchSize, (part) => runRows(part, signal));
  };

  const dim = declaredLastDim(opened.session, output) ?? (await embed(['dimension probe']))[0].length;
  const contract: EmbeddingContract = {
    model: card.model_id ?? `onnx:${path.basename(path.resolve(modelDir))}`,
    provider: 'onnx',
    dim,
    dtype: 'float32',
    pooling,
    normalize,
    queryInstruction,
  };

  return {
    contract,
    embedDocuments: embed,
    async embedQuery(text, signal) {
      return (await embed([queryInstruction + text], signal))[0];
    },
    async health() {
      return session ? { ok: true } : { ok: false, detail: 'session closed' };
    },
    async close() {
      const s = session;
      session = undefined;
      await s?.release();
    },
  };
}

/**
 * Pool row `b` of a [batch, seq, hidden] tensor over the positions the
 * attention mask marks as real: mean of them, the first (CLS), or the last.
 */
export function pool(data: Float32Array, seqLen: number, hidden: number, b: number, mask: BigInt64Array, pooling: Pooling): Float32Array {
  const row = b * seqLen * hidden;
  const at = (j: number) => data.subarray(row + j * hidden, row + (j + 1) * hidden);
  const real = (j: number) => mask[b * seqLen + j] !== 0n;
  if (pooling === 'cls' || pooling === 'last') {
    const step = pooling === 'cls' ? 1 : -1;
    let j = pooling === 'cls' ? 0 : seqLen - 1;
    while (j >= 0 && j < seqLen && !real(j)) j += step;
    return Float32Array.from(at(Math.min(Math.max(j, 0), seqLen - 1)));
  }
  const sum = new Float32Array(hidden);
  let n = 0;
  for (let j = 0; j < seqLen; j++) {
    if (!real(j)) continue;
    const v = at(j);
    for (let h = 0; h < hidden; h++) sum[h] += v[h];
    n++;
  }
  if (n > 0) for (let h = 0; h < hidden; h++) sum[h] /= n;
  return sum;
}

async function readModelCard(dir: string): Promise<ModelCard> {
  const file = path.join(dir, MODEL_CARD_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const card = JSON.parse(raw) as ModelCard;
    if (card.model_id !== undefined && typeof card.model_id !== 'string') throw new Error('model_id must be a string');
    if (card.query_instruction !== undefined && typeof card.query_instruction !== 'string') {
      throw new Error('query_instruction must be a string');
    }
    return card;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}
