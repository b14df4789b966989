import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOnnxSession, type OnnxSession, type OnnxSessionFactory } from '../../src/embedding/onnxSession.js';
import { OutOfMemoryError } from '../../src/errors/outOfMemoryError.js';
import { spladeDocumentText } from '../../src/sparse/documentText.js';
import { createSpladeEncoder, type SpladeEncoderOptions } from '../../src/sparse/splade.js';
import type { SparseVector } from '../../src/contracts/sparse.js';
import { codeVocab, tinyVocab, writeTinySpladeModel } from '../support/onnxModels.js';

/**
 * A real onnxruntime-node session over a tiny MLM head whose logits are set
 * by hand: input token → { vocab term: weight }. Each logit is expm1(weight),
 * so log(1 + relu(logit)) gives back exactly the weight written here, and
 * every other logit is -1 (relu → 0, no weight).
 */
const EXPANSIONS: Record<string, Record<string, number>> = {
  get: { get: 2, read: 1, load: 0.5 },
  user: { user: 2, name: 1.5, id: 0.04 }, // id is under the 0.05 floor
  load: { load: 1.2 },
  config: { config: 1 },
  '[CLS]': { '[CLS]': 5, '[MASK]': 5 }, // special tokens must never become terms
  '[SEP]': { hello: 0.7 }, // but special *positions* do take part in the max-pool
  '[PAD]': { world: 3 }, // padding positions must not
};
const vocab = tinyVocab();
const logit = (token: number, term: number) => {
  const w = EXPANSIONS[vocab[token]]?.[vocab[term]];
  return w === undefined ? -1 : Math.expm1(w);
};

/** The expected vector: raw weights divided by their L2 norm. */
const normalised = (raw: Record<string, number>): SparseVector => {
  const n = Math.hypot(...Object.values(raw));
  return Object.fromEntries(Object.entries(raw).map(([t, w]) => [t, w / n]));
};
const expectVector = (actual: SparseVector, expected: SparseVector) => {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [term, w] of Object.entries(expected)) expect(actual[term]).toBeCloseTo(w, 5);
};

let root: string;
let modelDir: string;
const encoder = (opts: Partial<SpladeEncoderOptions> = {}) =>
  createSpladeEncoder({ modelDir, modelId: 'test/tiny-splade', topK: 400, minWeight: 0.05, maxTokens: 64, ...opts });

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'splade-encoder-'));
  modelDir = path.join(root, 'tiny-splade');
  await writeTinySpladeModel(modelDir, { logit });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('SPLADE encoder: term weights', () => {
  it('weights each term by the max over positions of log(1 + relu(logit)), then L2-normalises', async () => {
    const s = await encoder();
    const [v] = await s.encodeDocuments(['get user']);
    // [CLS] get user [SEP]: get 2, user 2, name 1.5, read 1, hello 0.7 (from [SEP]), load 0.5
    expectVector(v, normalised({ get: 2, user: 2, name: 1.5, read: 1, hello: 0.7, load: 0.5 }));
    await s.close();
  });

  it('max-pools rather than sums: a repeated or re-activated term keeps its single highest weight', async () => {
    const s = await encoder();
    const [v] = await s.encodeDocuments(['get get load']);
    // load: max(0.5 from "get", 1.2 from "load") = 1.2; get stays 2, not 4
    expectVector(v, normalised({ get: 2, read: 1, load: 1.2, hello: 0.7 }));
    await s.close();
  });

  it('has unit L2 norm', async () => {
    const s = await encoder();
    const [v] = await s.encodeDocuments(['get user load config']);
    expect(Math.hypot(...Object.values(v))).toBeCloseTo(1, 6);
    await s.close();
  });

  it('drops terms under minWeight before normalising', async () => {
    const s = await encoder({ minWeight: 0.6 });
    const [v] = await s.encodeDocuments(['get user']);
    // load (0.5) goes, and id (0.04) was never in
    expectVector(v, normalised({ get: 2, user: 2, name: 1.5, read: 1, hello: 0.7 }));
    await s.close();
  });

  it('keeps only the topK heaviest terms (ties go to the lower token id)', async () => {
    const s = await encoder({ topK: 3 });
    const [v] = await s.encodeDocuments(['get user']);
    expectVector(v, normalised({ get: 2, user: 2, name: 1.5 }));
    const one = await encoder({ topK: 1 });
    expect(Object.keys((await one.encodeDocuments(['get user']))[0])).toEqual(['get']);
    await Promise.all([s.close(), one.close()]);
  });

  it('never emits special tokens as terms', async () => {
    const s = await encoder();
    const [v] = await s.encodeDocuments(['get [MASK] user']);
    for (const special of ['[CLS]', '[SEP]', '[PAD]', '[UNK]', '[MASK]']) expect(v).not.toHaveProperty(special);
    await s.close();
  });

  it('ignores padding positions: a short text pooled beside a long one matches the text alone', async () => {
    const s = await encoder();
    const [short, long] = await s.encodeDocuments(['get', 'user user user user user config load']);
    expect(short).not.toHaveProperty('world'); // what a [PAD] position would have added
    expect(short).toEqual((await s.encodeDocuments(['get']))[0]);
    expect(long).toEqual((await s.encodeDocuments(['user user user user user config load']))[0]);
    await s.close();
  });

  it('query mode runs the same computation on one text', async () => {
    const s = await encoder();
    expect(await s.encodeQuery('get user')).toEqual((await s.encodeDocuments(['get user']))[0]);
    await s.close();
  });

  it('splits a call into runs of batchSize, keeping input order', async () => {
    const whole = await encoder();
    const batched = await encoder({ batchSize: 2 });
    const texts = ['get', 'user name load', 'config', 'get user', 'load'];
    expect(await batched.encodeDocuments(texts)).toEqual(await whole.encodeDocuments(texts));
    await Promise.all([whole.close(), batched.close()]);
  });

  it('reports its contract', async () => {
    const s = await encoder({ topK: 400, minWeight: 0.05 });
    expect(s.contract).toEqual({ model: 'test/tiny-splade', topK: 400, minWeight: 0.05 });
    await s.close();
  });
});

describe('SPLADE document text (seed 003 §4.2)', () => {
  const chunk = { text: 'def load(self):\n    return self.data', path: 'app/config.py', language: 'python', symbols: ['Loader.load'] };

  it('is the chunk text, then the facets as JSON, then the table lines, separated by blank lines', () => {
    expect(spladeDocumentText(chunk, ['| key | value |', '| id | 1 |'])).toBe(
      'def load(self):\n    return self.data' +
        '\n\n{"path":"app/config.py","language":"python","symbols":["Loader.load"]}' +
        '\n\n| key | value |\n| id | 1 |',
    );
  });

  it('leaves out the table part when there are no table lines', () => {
    expect(spladeDocumentText(chunk)).toBe('def load(self):\n    return self.data\n\n{"path":"app/config.py","language":"python","symbols":["Loader.load"]}');
  });

  it('lets a chunk be found by its path: "config" reaches the terms only through the facets', async () => {
    const s = await encoder();
    const [withFacets] = await s.encodeDocuments([spladeDocumentText(chunk)]);
    const [textOnly] = await s.encodeDocuments([chunk.text]);
    expect(withFacets).toHaveProperty('config');
    expect(textOnly).not.toHaveProperty('config');
    await s.close();
  });
});

describe('SPLADE encoder on the larger seeded model (the benchmark fixture)', () => {
  it('expands real code into at most topK positive terms named from the vocab', async () => {
    const dir = path.join(root, 'code-splade');
    const { vocab: big } = await writeTinySpladeModel(dir, { vocab: codeVocab(), hidden: 64, seed: 3 });
    expect(big.length).toBeGreaterThan(1500);
    const s = await createSpladeEncoder({ modelDir: dir, modelId: 'bench', topK: 50, minWeight: 0.05, maxTokens: 128 });
    const [v] = await s.encodeDocuments(['export async function loadConfig(env) { return parseJson(env.path) }']);
    const terms = Object.keys(v);
    expect(terms.length).toBeGreaterThan(5);
    expect(terms.length).toBeLessThanOrEqual(50);
    expect(terms).toEqual(expect.arrayContaining(['load', '##config', 'parse', '##json']));
    expect(Object.values(v).every((w) => w > 0 && Number.isFinite(w))).toBe(true);
    await s.close();
  });
});

describe('SPLADE encoder: failures', () => {
  it('maps an onnxruntime allocation failure to OutOfMemoryError with the batch size', async () => {
    const failing: OnnxSessionFactory = async (file, o) => {
      const real = await openOnnxSession(file, o);
      return Object.assign(Object.create(real) as OnnxSession, {
        run: async () => {
          throw new Error('Failed to allocate memory for requested buffer of size 4000000000');
        },
      });
    };
    const s = await encoder({ createSession: failing });
    const err = await s.encodeDocuments(['get', 'user']).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).batchSize).toBe(2);
    await s.close();
  });

  it('names the path and the expected files when the model directory is missing', async () => {
    const missing = path.join(root, 'no-splade-here');
    await expect(encoder({ modelDir: missing })).rejects.toThrow(missing);
    await expect(encoder({ modelDir: missing })).rejects.toThrow(/model\.onnx, tokenizer\.json/);
  });

  it('refuses work once closed', async () => {
    const s = await encoder();
    await s.close();
    await expect(s.encodeQuery('get')).rejects.toThrow(/closed/);
  });
});
