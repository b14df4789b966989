import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { EncodedBatch } from './paddedBatch.js';
import type { EncodedText, Tokenizer } from './tokenizer.js';
import { loadTokenizer, TOKENIZER_FILE } from './huggingFaceTokenizer.js';
import { OutOfMemoryError } from '../errors/outOfMemoryError.js';
import { ModelDirectoryError } from '../errors/modelDirectoryError.js';

/**
 * Running an encoder-only ONNX model (BERT-style inputs) the way both ONNX
 * adapters need it: open a session on CPU or one CUDA device, check the
 * model directory up front, feed int64 token tensors, pick the output, and
 * turn allocation failures into OutOfMemoryError so the caller halves the batch.
 */

/** The slice of ort.InferenceSession we use; tests inject fakes through it. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly outputMetadata?: readonly ort.InferenceSession.ValueMetadata[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.OnnxValue>>;
  release(): Promise<void>;
}

export interface OnnxSessionOptions {
  /** ≥ 0 selects the CUDA execution provider on that device; otherwise CPU */
  device?: number;
  /** onnxruntime intra-op threads; 0 or undefined: onnxruntime's choice (one per core) */
  threads?: number;
  /**
   * Let idle intra-op threads spin-wait for work (onnxruntime's default). Off
   * by default here: a worker shares its CPUs with BullMQ, DuckDB and other
   * workers, and spinning threads then burn the cores those need (measured on
   * a shared 2-core host: 3x slower wall time, 4x the CPU).
   */
  allowSpinning?: boolean;
}

export type OnnxSessionFactory = (modelPath: string, opts: OnnxSessionOptions) => Promise<OnnxSession>;

/** The onnxruntime session options for these settings. */
export function sessionOptions(opts: OnnxSessionOptions): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (opts.device !== undefined && opts.device >= 0) options.executionProviders = [{ name: 'cuda', deviceId: opts.device }];
  if (opts.threads && opts.threads > 0) options.intraOpNumThreads = opts.threads;
  // flattened by onnxruntime-node into the session config entry "session.intra_op.allow_spinning"
  options.extra = { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } };
  return options;
}

export const MODEL_FILE = 'model.onnx';

export const openOnnxSession: OnnxSessionFactory = async (modelPath, opts) => {
  const { device } = opts;
  const options = sessionOptions(opts);
  const gpu = device !== undefined && device >= 0;
  try {
    return await ort.InferenceSession.create(modelPath, options);
  } catch (err) {
    const msg = (err as Error).message;
    // No silent CPU fallback: a GPU worker that cannot reach its GPU must say so.
    if (gpu) {
      throw new Error(
        `cannot open ${modelPath} on CUDA device ${device}: ${msg} ` +
          '(the CUDA provider needs onnxruntime-node installed with --onnxruntime-node-install=cuda12 and a visible GPU)',
        { cause: err },
      );
    }
    throw new Error(`cannot open ONNX model ${modelPath}: ${msg}`, { cause: err });
  }
};


/** Throws ModelDirectoryError naming the directory and every missing file. */
export async function checkModelDir(dir: string, files: string[], role: string): Promise<void> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) {
    const e = new ModelDirectoryError(dir, files, files, role);
    e.message = `${role} model directory ${dir} does not exist or is not a directory (expected it to hold ${files.join(', ')})`;
    throw e;
  }
  const missing: string[] = [];
  for (const f of files) {
    await access(path.join(dir, f)).catch(() => missing.push(f));
  }
  if (missing.length) throw new ModelDirectoryError(dir, missing, files, role);
}

const KNOWN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];

/** Refuse at load time a model that wants inputs we cannot provide (e.g. position_ids). */
export function checkEncoderInputs(session: OnnxSession, modelPath: string): void {
  const unknown = session.inputNames.filter((n) => !KNOWN_INPUTS.includes(n));
  if (unknown.length || !session.inputNames.includes('input_ids')) {
    throw new Error(
      `${modelPath}: model inputs [${session.inputNames.join(', ')}] are not supported ` +
        `(expected input_ids, optional attention_mask and token_type_ids)`,
    );
  }
}

/** int64 feeds for exactly the inputs the model declares. */
export function encoderFeeds(session: OnnxSession, batch: EncodedBatch): Record<string, ort.Tensor> {
  const dims = [batch.batchSize, batch.seqLen];
  const all: Record<string, BigInt64Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) feeds[name] = new ort.Tensor('int64', all[name], dims);
  return feeds;
}

/** The first of `preferred` the model produces, else its first output. */
export function pickOutputName(session: OnnxSession, preferred: string[]): string {
  return preferred.find((n) => session.outputNames.includes(n)) ?? session.outputNames[0];
}

/** The output's last dimension, when the model declares it as a number. */
export function declaredLastDim(session: OnnxSession, output: string): number | undefined {
  const meta = session.outputMetadata?.find((m) => m.name === output);
  if (!meta || !meta.isTensor || meta.shape.length === 0) return undefined;
  const last = meta.shape[meta.shape.length - 1];
  return typeof last === 'number' && last > 0 ? last : undefined;
}

/** Run once, mapping allocation failures to OutOfMemoryError and checking the output is float32. */
export async function runEncoder(
  session: OnnxSession,
  batch: EncodedBatch,
  output: string,
  signal?: AbortSignal,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  signal?.throwIfAborted();
  let result: Record<string, ort.OnnxValue>;
  try {
    result = await session.run(encoderFeeds(session, batch));
  } catch (err) {
    if (isOutOfMemory(err)) {
      throw new OutOfMemoryError(`onnxruntime ran out of memory on a batch of ${batch.batchSize}: ${(err as Error).message}`, batch.batchSize);
    }
    throw err;
  }
  signal?.throwIfAborted();
  const tensor = result[output] as ort.Tensor | undefined;
  if (!tensor) throw new Error(`model produced no output "${output}"`);
  if (tensor.type !== 'float32') throw new Error(`model output "${output}" is ${tensor.type}; expected float32`);
  return { data: tensor.data as Float32Array, dims: tensor.dims };
}

const OOM = /failed to allocate memory|bad_alloc|out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation/i;

export function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && OOM.test(err.message);
}

/**
 * Run rows in batches of at most `batchSize` (all at once when undefined),
 * results in input order. Rows are sorted by length before splitting so
 * each run pads little.
 */
export async function runInBatches<T>(
  rows: EncodedText[],
  batchSize: number | undefined,
  run: (rows: EncodedText[]) => Promise<T[]>,
): Promise<T[]> {
  if (rows.length === 0) return [];
  const size = batchSize ?? rows.length;
  if (rows.length <= size) return run(rows);
  const order = rows.map((_, i) => i).sort((a, b) => rows[a].ids.length - rows[b].ids.length);
  const out: T[] = new Array(rows.length);
  for (let i = 0; i < order.length; i += size) {
    const part = order.slice(i, i + size);
    const results = await run(part.map((j) => rows[j]));
    part.forEach((j, k) => (out[j] = results[k]));
  }
  return out;
}

/** What an encoder adapter (dense or SPLADE) starts from: its tokenizer, an open session and the output it reads. */
export interface OpenedEncoder {
  tokenizer: Tokenizer;
  session: OnnxSession;
  output: string;
  modelPath: string;
}

/**
 * Open an encoder-only model directory (model.onnx + tokenizer.json): check
 * the files up front, load the tokenizer, open the session, check its inputs
 * and pick the first of the preferred outputs it has.
 */
export async function openEncoder(
  modelDir: string,
  opts: OnnxSessionOptions & { role: string; outputs: string[]; createSession?: OnnxSessionFactory },
): Promise<OpenedEncoder> {
  await checkModelDir(modelDir, [MODEL_FILE, TOKENIZER_FILE], opts.role);
  const tokenizer = await loadTokenizer(modelDir);
  const modelPath = path.join(modelDir, MODEL_FILE);
  const session = await (opts.createSession ?? openOnnxSession)(modelPath, { device: opts.device, threads: opts.threads, allowSpinning: opts.allowSpinning });
  checkEncoderInputs(session, modelPath);
  return { tokenizer, session, output: pickOutputName(session, opts.outputs), modelPath };
}
