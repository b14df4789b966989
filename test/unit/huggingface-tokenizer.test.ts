import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, tokenizerFromJson } from '../../src/embedding/huggingFaceTokenizer.js';
import { padBatch } from '../../src/embedding/paddedBatch.js';
import { bertTokenizerJson, tinyVocab } from '../support/onnxModels.js';

// The fixture vocab: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then code words and ## pieces.
const vocab = tinyVocab();
const id = (token: string) => {
  const i = vocab.indexOf(token);
  if (i < 0) throw new Error(`no ${token} in the fixture vocab`);
  return i;
};
const wordPiece = () => tokenizerFromJson(bertTokenizerJson(vocab));

describe('a tokenizer.json in the BERT WordPiece layout (SPLADE-v3 / MiniLM), through the port', () => {
  it('splits camelCase identifiers into the longest known pieces, continuing with ##', () => {
    expect(wordPiece().tokenize('getUserById')).toEqual(['get', '##user', '##by', '##id']);
  });

  it('lowercases, strips accents and isolates every punctuation character', () => {
    const t = wordPiece();
    expect(t.tokenize('load(Path);')).toEqual(['load', '(', 'path', ')', ';']);
    expect(t.tokenize('Hélló  WORLD')).toEqual(['hello', 'world']);
    // BERT counts ASCII symbols such as = + < > as punctuation too
    expect(t.tokenize('a=b+c')).toEqual(['[UNK]', '=', '[UNK]', '+', '[UNK]']);
  });

  it('cleans control characters and splits CJK ideographs into single-character words', () => {
    const t = wordPiece();
    expect(t.tokenize('get\u0000user\tname')).toEqual(['get', '##user', 'name']);
    expect(t.tokenize('数据file')).toEqual(['[UNK]', '[UNK]', 'file']);
  });

  it('turns a word with any unknown piece into a single [UNK], as WordPiece does', () => {
    const t = wordPiece();
    expect(t.tokenize('getZzz user')).toEqual(['[UNK]', 'user']);
  });

  it('maps a word longer than max_input_chars_per_word to [UNK]', () => {
    const json = bertTokenizerJson(vocab) as { model: Record<string, unknown> };
    json.model.max_input_chars_per_word = 5;
    const t = tokenizerFromJson(json);
    expect(t.tokenize('getuser get')).toEqual(['[UNK]', 'get']);
  });

  it('recognises special tokens written literally in the text', () => {
    expect(wordPiece().encode('get [MASK] user', 16).ids).toEqual([id('[CLS]'), id('get'), id('[MASK]'), id('user'), id('[SEP]')]);
  });

  it('wraps a text in [CLS] … [SEP] and truncates so the whole sequence fits maxTokens', () => {
    const t = wordPiece();
    expect(t.encode('get user name', 16)).toEqual({
      ids: [id('[CLS]'), id('get'), id('user'), id('name'), id('[SEP]')],
      typeIds: [0, 0, 0, 0, 0],
    });
    expect(t.encode('get user name', 4).ids).toEqual([id('[CLS]'), id('get'), id('user'), id('[SEP]')]);
  });

  it('pads a batch to its longest row with [PAD] and a zero attention mask, as int64', () => {
    const t = wordPiece();
    const batch = padBatch([t.encode('get user name', 16), t.encode('file', 16)], t.padId);
    expect(batch.batchSize).toBe(2);
    expect(batch.seqLen).toBe(5);
    expect(batch.lengths).toEqual([5, 3]);
    expect(batch.inputIds).toBeInstanceOf(BigInt64Array);
    expect(Array.from(batch.inputIds, Number)).toEqual([
      id('[CLS]'), id('get'), id('user'), id('name'), id('[SEP]'),
      id('[CLS]'), id('file'), id('[SEP]'), 0, 0,
    ]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(batch.tokenTypeIds, Number)).toEqual(new Array(10).fill(0));
  });

  it('exposes the vocab by id and which ids are special tokens', () => {
    const t = wordPiece();
    expect(t.vocab[id('##user')]).toBe('##user');
    expect(t.vocab.length).toBe(vocab.length);
    expect([...t.specialIds].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(t.padId).toBe(0);
  });

  it('keeps [CLS] and [SEP] even when maxTokens leaves no room for the text', () => {
    expect(wordPiece().encode('get user', 1).ids).toEqual([id('[CLS]'), id('[SEP]')]);
  });

  it('gives the ids of the text alone for counting, and decodes them back', () => {
    const t = wordPiece();
    const ids = t.encodeText('getUser name');
    expect(ids).toEqual([id('get'), id('##user'), id('name')]);
    expect(t.decode(ids)).toBe('getuser name');
    expect(t.decode([])).toBe('');
  });

  it('reads the older BertProcessing post-processor form too', () => {
    const json = bertTokenizerJson(vocab);
    json.post_processor = { type: 'BertProcessing', sep: ['[SEP]', id('[SEP]')], cls: ['[CLS]', id('[CLS]')] };
    expect(tokenizerFromJson(json).encode('file', 8).ids).toEqual([id('[CLS]'), id('file'), id('[SEP]')]);
  });

  it('refuses a tokenizer model it does not implement, naming its type', () => {
    const json = bertTokenizerJson(vocab) as { model: Record<string, unknown> };
    json.model = { type: 'CharLevel', vocab: {} };
    expect(() => tokenizerFromJson(json)).toThrow(/unsupported tokenizer model type "CharLevel"/);
  });
});

describe('a tokenizer.json with a WordLevel model', () => {
  it('looks whole words up, with no ## continuation', () => {
    const t = tokenizerFromJson(bertTokenizerJson(vocab, 'WordLevel'));
    expect(t.tokenize('get getuser (user)')).toEqual(['get', '[UNK]', '(', 'user', ')']);
    expect(t.encode('get', 8).ids).toEqual([id('[CLS]'), id('get'), id('[SEP]')]);
  });
});

describe('loading tokenizer.json from a model directory', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hf-tokenizer-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const modelDir = async (name: string, files: Record<string, string>) => {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
    return dir;
  };

  it('reads <dir>/tokenizer.json', async () => {
    const dir = await modelDir('plain', { 'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)) });
    const t = await loadTokenizer(dir);
    expect(t.tokenize('readFile')).toEqual(['read', '##file']);
  });

  it('takes the pad token from tokenizer_config.json beside it when the tokenizer.json sets none', async () => {
    const dir = await modelDir('with-config', {
      'tokenizer.json': JSON.stringify(bertTokenizerJson(vocab)),
      'tokenizer_config.json': JSON.stringify({ pad_token: '[MASK]' }),
    });
    expect((await loadTokenizer(dir)).padId).toBe(id('[MASK]'));
  });

  it('names the file it could not read', async () => {
    const missing = path.join(root, 'nowhere');
    await expect(loadTokenizer(missing)).rejects.toThrow(path.join(missing, 'tokenizer.json'));
  });

  it('names the file that is not JSON', async () => {
    const dir = await modelDir('broken', { 'tokenizer.json': '{"model": ' });
    await expect(loadTokenizer(dir)).rejects.toThrow(`tokenizer file ${path.join(dir, 'tokenizer.json')} is not valid JSON`);
  });

  it('names the file and the component the library does not know', async () => {
    const json = bertTokenizerJson(vocab);
    json.pre_tokenizer = { type: 'NoSuchSplitter' };
    const dir = await modelDir('unknown-part', { 'tokenizer.json': JSON.stringify(json) });
    await expect(loadTokenizer(dir)).rejects.toThrow(new RegExp(`${path.join(dir, 'tokenizer.json')}: .*NoSuchSplitter`));
  });
});
