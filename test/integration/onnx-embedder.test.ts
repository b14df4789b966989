import { existsSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxEmbedder, type OnnxEmbedderOptions } from '../../src/embedding/onnx.js';
import { openOnnxSession, type OnnxSession, type OnnxSessionFactory } from '../../src/embedding/onnxSession.js';
import { OutOfMemoryError } from '../../src/errors/outOfMemoryError.js';
import { tinyVocab, writeTinyEmbeddingModel } from '../support/onnxModels.js';

/**
 * A real onnxruntime-node session over a tiny model whose output is a plain
 * table lookup: token id i → row i of the table below. Every expected vector
 * is therefore an average or a pick of rows written here by hand.
 */
const vocab = tinyVocab();
const rowOf = (token: string): number[] => {
  switch (token) {
    case '[PAD]':
      return [100, -100]; // loud, so padding leaking into a vector cannot go unnoticed
    case '[CLS]':
      return [1, 0];
    case '[SEP]':
      return [0, 1];
    case 'get':
      return [2, 4];
    case 'user':
      return [6, 0];
    case '##user':
      return [3, 3];
    case 'name':
      return [0, 8];
    default:
      return [-1, -1];
  }
};
const table = vocab.map(rowOf);

let root: string;
let modelDir: string;
const embedder = (opts: Partial<OnnxEmbedderOptions> = {}) =>
  createOnnxEmbedder({ modelDir, pooling: 'mean', normalize: false, maxTokens: 32, ...opts });
const plain = (v: Float32Array) => Array.from(v);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'onnx-embedder-'));
  modelDir = path.join(root, 'tiny-minilm');
  await writeTinyEmbeddingModel(modelDir, { embeddings: table });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ONNX embedder: pooling', () => {
  // "get user name" → [CLS] get user name [SEP]
  it('mean pooling averages the token vectors of [CLS] get user name [SEP]', async () => {
    const e = await embedder({ pooling: 'mean' });
    const [v] = await e.embedDocuments(['get user name']);
    // x: (1 + 2 + 6 + 0 + 0) / 5, y: (0 + 4 + 0 + 8 + 1) / 5
    expect(plain(v)).toEqual([9 / 5, 13 / 5].map(Math.fround));
    await e.close();
  });

  it('CLS pooling takes the first token; last pooling takes the last real token ([SEP])', async () => {
    const cls = await embedder({ pooling: 'cls' });
    const last = await embedder({ pooling: 'last' });
    expect(plain((await cls.embedDocuments(['get user']))[0])).toEqual([1, 0]);
    expect(plain((await last.embedDocuments(['get user']))[0])).toEqual([0, 1]);
    await Promise.all([cls.close(), last.close()]);
  });

  it('normalises to unit length only when asked', async () => {
    const raw = await embedder({ normalize: false });
    const unit = await embedder({ normalize: true });
    // "getUser" → [CLS] get ##user [SEP]: mean (6/4, 8/4) = (1.5, 2), length 2.5
    expect(plain((await raw.embedDocuments(['getUser']))[0])).toEqual([1.5, 2]);
    const [u] = await unit.embedDocuments(['getUser']);
    expect(u[0]).toBeCloseTo(0.6, 6);
    expect(u[1]).toBeCloseTo(0.8, 6);
    await Promise.all([raw.close(), unit.close()]);
  });

  it.each(['mean', 'cls', 'last'] as const)('%s: a text gets the same vector alone as in a padded batch of mixed lengths', async (pooling) => {
    const e = await embedder({ pooling });
    const texts = ['get', 'get user name get user name getUser', 'name'];
    const together = await e.embedDocuments(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await e.embedDocuments([text]);
      expect(plain(together[i])).toEqual(plain(alone));
    }
    // and the short rows really were padded: no [PAD] row (100, -100) leaked into them
    expect(together[0][0]).toBeLessThan(10);
    await e.close();
  });

  it('truncates to maxTokens before pooling', async () => {
    const e = await embedder({ maxTokens: 3, pooling: 'last' });
    // [CLS] get [SEP] — "user name" is cut, [SEP] is kept
    expect(plain((await e.embedDocuments(['get user name']))[0])).toEqual([0, 1]);
    const mean = await embedder({ maxTokens: 3 });
    expect(plain((await mean.embedDocuments(['get user name']))[0])).toEqual([1, 5 / 3].map(Math.fround));
    await Promise.all([e.close(), mean.close()]);
  });
});

describe('ONNX embedder: batching and inputs', () => {
  it('splits a call into runs of batchSize and returns vectors in input order', async () => {
    let runs = 0;
    const counting: OnnxSessionFactory = async (file, o) => {
      const s = await openOnnxSession(file, o);
      return Object.assign(Object.create(s) as OnnxSession, {
        run: (feeds: Parameters<OnnxSession['run']>[0]) => {
          runs++;
          return s.run(feeds);
        },
      });
    };
    const texts = ['name', 'get user name get', 'get', 'user user', 'getUser'];
    const whole = await embedder();
    const batched = await embedder({ batchSize: 2, createSession: counting });
    const expected = (await whole.embedDocuments(texts)).map(plain);
    runs = 0;
    expect((await batched.embedDocuments(texts)).map(plain)).toEqual(expected);
    expect(runs).toBe(3);
    await Promise.all([whole.close(), batched.close()]);
  });

  it('feeds token_type_ids when the model declares that input', async () => {
    const dir = path.join(root, 'with-token-types');
    // type 0 adds (0.5, 0.5) to every position; type 1 would add (9, 9)
    await writeTinyEmbeddingModel(dir, { embeddings: table, tokenTypeEmbeddings: [[0.5, 0.5], [9, 9]] });
    const e = await createOnnxEmbedder({ modelDir: dir, pooling: 'mean', normalize: false, maxTokens: 32 });
    expect(plain((await e.embedDocuments(['getUser']))[0])).toEqual([2, 2.5]);
    await e.close();
  });

  it('learns the dimension by a probe run when the model declares it symbolically', async () => {
    const dir = path.join(root, 'symbolic-hidden');
    // the projection swaps the two coordinates
    await writeTinyEmbeddingModel(dir, { embeddings: table, projection: [[0, 1], [1, 0]], symbolicHidden: true });
    const e = await createOnnxEmbedder({ modelDir: dir, pooling: 'cls', normalize: false, maxTokens: 32 });
    expect(e.contract.dim).toBe(2);
    expect(plain((await e.embedDocuments(['get']))[0])).toEqual([0, 1]);
    await e.close();
  });

  it('prefixes the query instruction to queries only', async () => {
    const e = await embedder({ queryInstruction: 'query: ' });
    expect(plain(await e.embedQuery('get'))).toEqual(plain((await e.embedDocuments(['query: get']))[0]));
    expect(plain(await e.embedQuery('get'))).not.toEqual(plain((await e.embedDocuments(['get']))[0]));
    await e.close();
  });
});

describe('ONNX embedder: contract and lifecycle', () => {
  it('describes itself as onnx:<directory name> with the model’s hidden size', async () => {
    const e = await embedder({ pooling: 'cls', normalize: true });
    expect(e.contract).toEqual({
      model: 'onnx:tiny-minilm',
      provider: 'onnx',
      dim: 2,
      dtype: 'float32',
      pooling: 'cls',
      normalize: true,
      queryInstruction: '',
    });
    await e.close();
  });

  it('takes model_id and query_instruction from codeintel.json when the directory has one', async () => {
    const dir = path.join(root, 'with-card');
    await writeTinyEmbeddingModel(dir, { embeddings: table, modelId: 'BAAI/bge-small-en-v1.5' });
    await writeFile(path.join(dir, 'codeintel.json'), JSON.stringify({ model_id: 'BAAI/bge-small-en-v1.5', query_instruction: 'query: ' }));
    const e = await createOnnxEmbedder({ modelDir: dir, pooling: 'cls', normalize: true, maxTokens: 32 });
    expect(e.contract.model).toBe('BAAI/bge-small-en-v1.5');
    expect(e.contract.queryInstruction).toBe('query: ');
    await e.close();
  });

  it('is healthy while the session is loaded and refuses work once closed', async () => {
    const e = await embedder();
    expect(await e.health()).toEqual({ ok: true });
    await e.close();
    expect((await e.health()).ok).toBe(false);
    await expect(e.embedDocuments(['get'])).rejects.toThrow(/closed/);
  });

  it('stops before running when the signal is already aborted', async () => {
    const e = await embedder();
    await expect(e.embedDocuments(['get'], AbortSignal.abort())).rejects.toThrow(/abort/i);
    await e.close();
  });
});

describe('ONNX embedder: device selection', () => {
  it('opens the session on the configured GPU device', async () => {
    const asked: (number | undefined)[] = [];
    const recording: OnnxSessionFactory = async (file, o) => {
      asked.push(o.device);
      return openOnnxSession(file, {}); // this machine has no GPU: run the real model on CPU
    };
    const e = await embedder({ device: 1, createSession: recording });
    expect(asked).toEqual([1]);
    await e.close();
  });

  // Where onnxruntime-node was installed without its CUDA provider (as here), a GPU
  // request must fail loudly rather than quietly run on the CPU.
  const cudaLib = path.join(
    path.dirname(fileURLToPath(import.meta.resolve('onnxruntime-node'))),
    '../bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
  );
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64' || existsSync(cudaLib))(
    'fails naming the device when the CUDA provider is not installed',
    async () => {
      await expect(embedder({ device: 0 })).rejects.toThrow(/on CUDA device 0/);
    },
  );
});

describe('ONNX embedder: failures', () => {
  /** A session that loads like the real one but whose every run fails with `message`. */
  const failingSession =
    (message: string): OnnxSessionFactory =>
    async (file, o) => {
      const s = await openOnnxSession(file, o);
      return Object.assign(Object.create(s) as OnnxSession, {
        run: async () => {
          throw new Error(message);
        },
      });
    };

  it.each([
    'Failed to allocate memory for requested buffer of size 1073741824',
    'std::bad_alloc',
    'CUDA failure 2: out of memory',
  ])('maps an onnxruntime allocation failure (%s) to OutOfMemoryError with the batch size', async (message) => {
    const e = await embedder({ createSession: failingSession(message) });
    const err = await e.embedDocuments(['get', 'user', 'name']).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).batchSize).toBe(3);
    await e.close();
  });

  it('passes other runtime errors through unchanged', async () => {
    const e = await embedder({ createSession: failingSession('Non-zero status code returned while running Gather node') });
    const err = await e.embedDocuments(['get']).catch((x: unknown) => x);
    expect(err).not.toBeInstanceOf(OutOfMemoryError);
    expect((err as Error).message).toMatch(/Gather/);
    await e.close();
  });

  it('names the path and the expected files when the model directory is missing', async () => {
    const missing = path.join(root, 'no-such-model');
    const err = (await embedder({ modelDir: missing }).catch((x: unknown) => x)) as Error;
    expect(err.message).toContain(missing);
    expect(err.message).toContain('model.onnx');
    expect(err.message).toContain('tokenizer.json');
  });

  it('names the missing file when the directory lacks only the tokenizer', async () => {
    const dir = path.join(root, 'no-tokenizer');
    await writeTinyEmbeddingModel(dir, { embeddings: table });
    await unlink(path.join(dir, 'tokenizer.json'));
    await expect(createOnnxEmbedder({ modelDir: dir, pooling: 'mean', normalize: false, maxTokens: 8 })).rejects.toThrow(
      `${dir} is missing tokenizer.json`,
    );
  });
});
