import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from './tokenizer.js';

/**
 * The tokenizer port over `@huggingface/tokenizers` (tokenizers.js, the
 * Hugging Face team's pure-JS port of their `tokenizers` pipeline and the one
 * transformers.js uses): it reads any `tokenizer.json` — WordPiece for BERT /
 * SPLADE / MiniLM, byte-level BPE for Qwen3, Unigram — with no network and no
 * dependencies. Chosen over `@lenml/tokenizers` (a one-person fork of
 * transformers.js v3) because it is maintained upstream, loads the Qwen3 file
 * in about half the time, and gives the same ids on every parity text; neither
 * library truncates the way the Rust library does (lenml's `truncation` cuts
 * the final [SEP] off), so truncation is done here, around the library's own
 * post-processor template.
 */

export const TOKENIZER_FILE = 'tokenizer.json';
/** Optional beside it (transformers writes both); its settings, e.g. pad_token, are read when present. */
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/** Model types whose pipeline the library implements (WordLevel through its "Legacy" model). */
const SUPPORTED_MODELS = ['WordPiece', 'BPE', 'Unigram', 'WordLevel'];

type Json = Record<string, unknown>;

/** Read `<dir>/tokenizer.json` (and `<dir>/tokenizer_config.json` when there is one). */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const file = path.join(dir, TOKENIZER_FILE);
  const json = await readJson(file);
  const configFile = path.join(dir, TOKENIZER_CONFIG_FILE);
  const config = (await readJson(configFile, { optional: true })) ?? {};
  return tokenizerFromJson(json, config, file);
}

async function readJson(file: string, opts: { optional?: boolean } = {}): Promise<unknown> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    if (opts.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read tokenizer file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new Error(`tokenizer file ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** A tokenizer from parsed `tokenizer.json` (+ `tokenizer_config.json`) contents; `source` names them in errors. */
export function tokenizerFromJson(json: unknown, config: unknown = {}, source = TOKENIZER_FILE): Tokenizer {
  if (!isObject(json)) throw new Error(`${source}: expected a JSON object`);
  if (!isObject(config)) throw new Error(`${source}: its tokenizer_config.json must hold a JSON object`);
  const model = json.model;
  if (!isObject(model)) throw new Error(`${source}: missing "model"`);
  if (typeof model.type !== 'string' || !SUPPORTED_MODELS.includes(model.type)) {
    // the library would guess a model from the vocab's shape; refuse instead of tokenizing unlike the training
    throw new Error(`${source}: unsupported tokenizer model type "${model.type}" (supported: ${SUPPORTED_MODELS.join(', ')})`);
  }
  // The library's WordLevel stand-in takes its unknown token from the config rather than the model.
  const settings = model.type === 'WordLevel' ? { ...config, unk_token: model.unk_token } : config;

  let hf: HfTokenizer;
  try {
    // Fields a tokenizer.json may leave out mean "none", as in the Rust library.
    hf = new HfTokenizer({ normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json }, settings);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`, { cause: err });
  }
  return adapt(hf, json, config, source);
}

function adapt(hf: HfTokenizer, json: Json, config: Json, source: string): Tokenizer {
  const toId = hf.get_vocab(true);
  let maxId = -1;
  for (const id of toId.values()) maxId = Math.max(maxId, id);
  const vocab: string[] = new Array(maxId + 1).fill('');
  for (const [token, id] of toId) vocab[id] = token;

  const specialIds = new Set<number>();
  for (const [id, token] of hf.get_added_tokens_decoder()) if (token.special) specialIds.add(id);
  for (const name of ['[CLS]', '[SEP]', '[PAD]', '[UNK]', '[MASK]']) {
    const id = toId.get(name);
    if (id !== undefined) specialIds.add(id);
  }
  const configPad = typeof config.pad_token === 'string' ? toId.get(config.pad_token) : undefined;
  const padId = Number((isObject(json.padding) ? json.padding.pad_id : undefined) ?? configPad ?? toId.get('[PAD]') ?? 0);

  const template = singleTemplate(hf, source);
  const encodeText = (text: string): number[] => {
    const ids: number[] = hf.encode(text, { add_special_tokens: false }).ids;
    const missing = ids.findIndex((id) => id === undefined);
    if (missing >= 0) throw new Error(`${source}: no id for a token of the text and the model has no unk_token`);
    return ids;
  };

  return {
    vocab,
    specialIds,
    padId,
    tokenToId: (token) => toId.get(token),
    tokenize: (text) => encodeText(text).map((id) => vocab[id]),
    encodeText,
    encode(text, maxTokens) {
      // Truncate the text, not the sequence: the special tokens always stay (as the Rust library does).
      const room = Math.max(0, maxTokens - template.prefix.length - template.suffix.length);
      const body = encodeText(text).slice(0, room);
      return {
        ids: [...template.prefix.map((p) => p.id), ...body, ...template.suffix.map((p) => p.id)],
        typeIds: [...template.prefix.map((p) => p.typeId), ...body.map(() => template.sequenceTypeId), ...template.suffix.map((p) => p.typeId)],
      };
    },
    decode: (ids) => (ids.length === 0 ? '' : hf.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false })),
  };
}

interface Piece {
  id: number;
  typeId: number;
}

/** The special tokens the post-processor puts before and after a single sequence. */
interface Template {
  prefix: Piece[];
  suffix: Piece[];
  sequenceTypeId: number;
}

// A token no vocabulary holds, to find where the post-processor places the sequence.
const SEQUENCE_MARK = '\u0000codeintel:sequence\u0000';

/** Ask the library's post-processor where the special tokens go, once; encode() then truncates between them. */
function singleTemplate(hf: HfTokenizer, source: string): Template {
  if (!hf.post_processor) return { prefix: [], suffix: [], sequenceTypeId: 0 };
  // the library's types resolve loosely under NodeNext, so name the output's shape here
  const out: { tokens: string[]; token_type_ids?: number[] } = hf.post_processor([SEQUENCE_MARK], null, true);
  const at = out.tokens.indexOf(SEQUENCE_MARK);
  if (at < 0 || out.tokens.lastIndexOf(SEQUENCE_MARK) !== at) throw new Error(`${source}: post_processor does not place the text exactly once`);
  const typeIds = out.token_type_ids ?? out.tokens.map(() => 0);
  const piece = (i: number): Piece => {
    const id = hf.token_to_id(out.tokens[i]);
    if (id === undefined) throw new Error(`${source}: post_processor token "${out.tokens[i]}" is not in the vocab`);
    return { id, typeId: typeIds[i] };
  };
  return {
    prefix: out.tokens.slice(0, at).map((_, i) => piece(i)),
    suffix: out.tokens.slice(at + 1).map((_, i) => piece(at + 1 + i)),
    sequenceTypeId: typeIds[at],
  };
}

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
