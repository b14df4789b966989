import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHfTokenizer, parseHfTokenizer } from '../../src/embedding/hfTokenizer.js';
import { bertTokenizerJson, tinyVocab } from '../support/onnxModels.js';

// The fixture vocab: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then code words and ## pieces.
const vocab = tinyVocab();
const id = (token: string) => {
  const i = vocab.indexOf(token);
  if (i < 0) throw new Error(`no ${token} in the fixture vocab`);
  return i;
};
const wordPiece = () => parseHfTokenizer(bertTokenizerJson(vocab));

describe('HuggingFace tokenizer.json, BERT WordPiece (the SPLADE-v3 / MiniLM layout)', () => {
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
    const t = parseHfTokenizer(json);
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
    const batch = wordPiece().encodeBatch(['get user name', 'file'], 16);
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

  it('reads the older BertProcessing post-processor form too', () => {
    const json = bertTokenizerJson(vocab);
    json.post_processor = { type: 'BertProcessing', sep: ['[SEP]', id('[SEP]')], cls: ['[CLS]', id('[CLS]')] };
    expect(parseHfTokenizer(json).encode('file', 8).ids).toEqual([id('[CLS]'), id('file'), id('[SEP]')]);
  });

  it('refuses a tokenizer model it does not implement, naming its type', () => {
    const json = bertTokenizerJson(vocab) as { model: Record<string, unknown> };
    json.model = { type: 'BPE', vocab: {}, merges: [] };
    expect(() => parseHfTokenizer(json)).toThrow(/unsupported tokenizer model type "BPE"/);
  });
});

describe('HuggingFace tokenizer.json, WordLevel', () => {
  it('looks whole words up, with no ## continuation', () => {
    const t = parseHfTokenizer(bertTokenizerJson(vocab, 'WordLevel'));
    expect(t.tokenize('get getuser (user)')).toEqual(['get', '[UNK]', '(', 'user', ')']);
    expect(t.encode('get', 8).ids).toEqual([id('[CLS]'), id('get'), id('[SEP]')]);
  });
});

describe('loading tokenizer.json from a model directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hf-tokenizer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads <dir>/tokenizer.json', async () => {
    await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(vocab)));
    const t = await loadHfTokenizer(dir);
    expect(t.tokenize('readFile')).toEqual(['read', '##file']);
  });

  it('names the file it could not read', async () => {
    const missing = path.join(dir, 'nowhere');
    await expect(loadHfTokenizer(missing)).rejects.toThrow(path.join(missing, 'tokenizer.json'));
  });
});
