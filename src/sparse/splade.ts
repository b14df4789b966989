import { padBatch } from '../embedding/paddedBatch.js';
import type { EncodedText } from '../embedding/tokenizer.js';
import {
  openEncoder,
  runEncoder,
  runInBatches,
  type OnnxSession,
  type OnnxSessionFactory,
} from '../embedding/onnxSession.js';
import type { SparseContract, SparseVector } from '../contracts/sparse.js';
import type { SparseEncoder } from './port.js';

export interface SpladeEncoderOptions {
  /** holds model.onnx (an MLM head: logits [batch, seq, vocab]) + tokenizer.json */
  modelDir: string;
  /** recorded in the contract, e.g. "naver/splade-v3" */
  modelId: string;
  topK: number;
  minWeight: number;
  /** sequence length cap, special tokens included */
  maxTokens: number;
  /** ≥ 0: CUDA execution provider on this device; otherwise CPU */
  device?: number;
  /** onnxruntime intra-op threads (0/undefined: onnxruntime's choice) and spin-waiting (default off): see OnnxSessionOptions */
  threads?: number;
  allowSpinning?: boolean;
  /** split larger calls into runs of at most this many texts (default: one run per call) */
  batchSize?: number;
  /** injectable for tests; defaults to onnxruntime-node */
  createSession?: OnnxSessionFactory;
}

/**
 * SPLADE expansion with onnxruntime-node. Per vocabulary term, the weight is
 * max over the real (unmasked) positions of log(1 + relu(logit)); the top-K
 * terms with weight ≥ minWeight are kept and L2-normalised. Document mode
 * and query mode run the same computation — SPLADE-v3 uses one encoder for both.
 */
export async function createSpladeEncoder(opts: SpladeEncoderOptions): Promise<SparseEncoder> {
  const { modelDir, topK, minWeight, maxTokens } = opts;
  if (opts.batchSize !== undefined && opts.batchSize < 1) throw new Error(`batchSize must be ≥ 1 (got ${opts.batchSize})`);
  const opened = await openEncoder(modelDir, { ...opts, role: 'SPLADE', outputs: ['logits'] });
  const { tokenizer, output } = opened;
  let session: OnnxSession | undefined = opened.session;
  const excluded = excludedTermIds(tokenizer.vocab, tokenizer.specialIds);

  const runRows = async (rows: EncodedText[], signal?: AbortSignal): Promise<SparseVector[]> => {
    const live = session;
    if (!live) throw new Error('SPLADE encoder is closed');
    const batch = padBatch(rows, tokenizer.padId);
    const { data, dims } = await runEncoder(live, batch, output, signal);
    if (dims.length !== 3 || dims[0] !== batch.batchSize || dims[1] !== batch.seqLen) {
      throw new Error(`${opened.modelPath}: output "${output}" has shape [${dims.join(', ')}]; expected [${batch.batchSize}, ${batch.seqLen}, vocab]`);
    }
    return rows.map((_, b) => {
      const weights = maxPoolLog1pRelu(data, dims[1], dims[2], b, batch.attentionMask);
      return keepTopTerms(weights, tokenizer.vocab, excluded, topK, minWeight);
    });
  };

  const encode = async (texts: string[], signal?: AbortSignal): Promise<SparseVector[]> => {
    const rows = texts.map((t) => tokenizer.encode(t, maxTokens));
    return runInBatches(rows, opts.batchSize, (part) => runRows(part, signal));
  };

  const contract: SparseContract = { model: opts.modelId, topK, minWeight };
  return {
    contract,
    encodeDocuments: encode,
    async encodeQuery(text, signal) {
      return (await encode([text], signal))[0];
    },
    async close() {
      const s = session;
      session = undefined;
      await s?.release();
    },
  };
}

/** Special tokens, BERT's [unusedN] placeholders and unnamed ids never become terms. */
export function excludedTermIds(vocab: readonly string[], specialIds: ReadonlySet<number>): Set<number> {
  const out = new Set(specialIds);
  vocab.forEach((token, id) => {
    if (token === '' || /^\[unused\d+\]$/.test(token)) out.add(id);
  });
  return out;
}

/** Row `b` of logits [batch, seq, vocab] → per-term max over real positions of log(1 + relu(logit)). */
export function maxPoolLog1pRelu(logits: Float32Array, seqLen: number, vocabSize: number, b: number, mask: BigInt64Array): Float32Array {
  // log1p is monotonic, so max-pool relu(logit) first and take log1p once per term.
  const best = new Float32Array(vocabSize);
  for (let j = 0; j < seqLen; j++) {
    if (mask[b * seqLen + j] === 0n) continue;
    const base = (b * seqLen + j) * vocabSize;
    for (let v = 0; v < vocabSize; v++) {
      const x = logits[base + v];
      if (x > best[v]) best[v] = x;
    }
  }
  for (let v = 0; v < vocabSize; v++) best[v] = Math.log1p(best[v]);
  return best;
}

/** Weight ≥ minWeight (and > 0), top K by weight (ties: lower id), then L2-normalised. */
export function keepTopTerms(
  weights: Float32Array,
  vocab: readonly string[],
  excluded: ReadonlySet<number>,
  topK: number,
  minWeight: number,
): SparseVector {
  const kept: number[] = [];
  const n = Math.min(weights.length, vocab.length);
  for (let v = 0; v < n; v++) {
    if (weights[v] > 0 && weights[v] >= minWeight && !excluded.has(v)) kept.push(v);
  }
  kept.sort((a, b) => weights[b] - weights[a] || a - b);
  kept.length = Math.min(kept.length, topK);
  let norm = 0;
  for (const v of kept) norm += weights[v] * weights[v];
  norm = Math.sqrt(norm);
  // fromEntries defines own properties, so a term like "__proto__" stays a term
  return Object.fromEntries(kept.map((v) => [vocab[v], weights[v] / norm]));
}
