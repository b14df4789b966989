import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A HuggingFace `tokenizer.json` reader for the encoder models the ONNX
 * adapters run: BERT-style WordPiece (SPLADE-v3, MiniLM, BGE) and a plain
 * WordLevel model. It follows the `tokenizers` pipeline — added tokens,
 * normalizer, pre-tokenizer, model, post-processor — for the component
 * types those models use, and refuses any other type by name rather than
 * tokenizing differently from the model's training.
 */

export interface EncodedText {
  ids: number[];
  typeIds: number[];
}

/** A right-padded batch, flat row-major [batchSize, seqLen], ready for int64 tensors. */
export interface EncodedBatch {
  batchSize: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** real (unpadded) tokens per row, special tokens included */
  lengths: number[];
}

export interface HfTokenizer {
  /** id → token; SPLADE uses it to name terms. Gaps in the id space are ''. */
  readonly vocab: readonly string[];
  /** ids of special tokens ([CLS], [SEP], [PAD], [UNK], [MASK], ...). */
  readonly specialIds: ReadonlySet<number>;
  readonly padId: number;
  tokenToId(token: string): number | undefined;
  /** Model tokens for a text, before special tokens and truncation. */
  tokenize(text: string): string[];
  /** ids with special tokens, truncated so the whole sequence fits maxTokens. */
  encode(text: string, maxTokens: number): EncodedText;
  /** encode each text and pad every row to the batch's longest. */
  encodeBatch(texts: readonly string[], maxTokens: number): EncodedBatch;
}

export const TOKENIZER_FILE = 'tokenizer.json';

/** Read `<dir>/tokenizer.json`. */
export async function loadHfTokenizer(dir: string): Promise<HfTokenizer> {
  const file = path.join(dir, TOKENIZER_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read tokenizer ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`tokenizer ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseHfTokenizer(json, file);
}

// ---- the tokenizer.json shapes we read (only the fields we use) ----

type Json = Record<string, any>;

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

interface Piece {
  id: number;
  typeId: number;
}

interface Template {
  prefix: Piece[];
  suffix: Piece[];
  sequenceTypeId: number;
}

export function parseHfTokenizer(json: unknown, source = TOKENIZER_FILE): HfTokenizer {
  if (!json || typeof json !== 'object') throw new Error(`${source}: expected a JSON object`);
  const doc = json as Json;
  const model = doc.model as Json | undefined;
  if (!model || typeof model !== 'object') throw new Error(`${source}: missing "model"`);
  if (model.type !== 'WordPiece' && model.type !== 'WordLevel') {
    throw new Error(`${source}: unsupported tokenizer model type "${model.type}" (supported: WordPiece, WordLevel)`);
  }
  const vocabMap = model.vocab as Record<string, number> | undefined;
  if (!vocabMap || typeof vocabMap !== 'object' || Array.isArray(vocabMap)) {
    throw new Error(`${source}: model.vocab must be a token → id map`);
  }

  const toId = new Map<string, number>();
  for (const [token, id] of Object.entries(vocabMap)) toId.set(token, id);
  const added: AddedToken[] = ((doc.added_tokens as Json[] | undefined) ?? []).map((t) => ({
    id: Number(t.id),
    content: String(t.content),
    special: Boolean(t.special),
  }));
  for (const t of added) if (!toId.has(t.content)) toId.set(t.content, t.id);

  let maxId = -1;
  for (const id of toId.values()) maxId = Math.max(maxId, id);
  const vocab: string[] = new Array(maxId + 1).fill('');
  for (const [token, id] of toId) vocab[id] = token;

  const unkToken = typeof model.unk_token === 'string' ? model.unk_token : undefined;
  const unkId = unkToken !== undefined ? toId.get(unkToken) : undefined;
  if (unkToken !== undefined && unkId === undefined) throw new Error(`${source}: unk_token "${unkToken}" is not in the vocab`);

  const normalize = buildNormalizer(doc.normalizer ?? null, source);
  const preTokenize = buildPreTokenizer(doc.pre_tokenizer ?? null, source);
  const modelTokenize =
    model.type === 'WordPiece'
      ? wordPiece(toId, unkToken, String(model.continuing_subword_prefix ?? '##'), Number(model.max_input_chars_per_word ?? 100))
      : wordLevel(toId, unkToken);
  const template = buildTemplate(doc.post_processor ?? null, toId, source);

  const specialIds = new Set<number>(added.filter((t) => t.special).map((t) => t.id));
  for (const name of ['[CLS]', '[SEP]', '[PAD]', '[UNK]', '[MASK]']) {
    const id = toId.get(name);
    if (id !== undefined) specialIds.add(id);
  }
  const padId = Number((doc.padding as Json | null)?.pad_id ?? toId.get('[PAD]') ?? 0);

  // Added tokens are cut out of the raw text first and map straight to their id,
  // as the `tokenizers` library does (longest first, so no token shadows a longer one).
  const addedByContent = new Map(added.map((t) => [t.content, t.id]));
  const addedPattern = added.length
    ? new RegExp(
        `(${[...addedByContent.keys()]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegExp)
          .join('|')})`,
        'u',
      )
    : undefined;

  const tokenizeToIds = (text: string): { tokens: string[]; ids: number[] } => {
    const tokens: string[] = [];
    const ids: number[] = [];
    const parts = addedPattern ? text.split(addedPattern) : [text];
    parts.forEach((part, i) => {
      if (!part) return;
      const addedId = addedPattern && i % 2 === 1 ? addedByContent.get(part) : undefined;
      if (addedId !== undefined) {
        tokens.push(part);
        ids.push(addedId);
        return;
      }
      for (const word of preTokenize(normalize(part))) {
        for (const token of modelTokenize(word)) {
          tokens.push(token);
          ids.push(toId.get(token)!);
        }
      }
    });
    return { tokens, ids };
  };

  const encode = (text: string, maxTokens: number): EncodedText => {
    const room = Math.max(0, maxTokens - template.prefix.length - template.suffix.length);
    const seq = tokenizeToIds(text).ids.slice(0, room);
    return {
      ids: [...template.prefix.map((p) => p.id), ...seq, ...template.suffix.map((p) => p.id)],
      typeIds: [...template.prefix.map((p) => p.typeId), ...seq.map(() => template.sequenceTypeId), ...template.suffix.map((p) => p.typeId)],
    };
  };

  return {
    vocab,
    specialIds,
    padId,
    tokenToId: (token) => toId.get(token),
    tokenize: (text) => tokenizeToIds(text).tokens,
    encode,
    encodeBatch: (texts, maxTokens) => padBatch(texts.map((t) => encode(t, maxTokens)), padId),
  };
}

/** Right-pad already-encoded rows to the longest one (lets callers sort rows by length first). */
export function padBatch(rows: readonly EncodedText[], padId: number): EncodedBatch {
  const seqLen = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
  const n = rows.length * seqLen;
  const inputIds = new BigInt64Array(n).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(n);
  const tokenTypeIds = new BigInt64Array(n);
  rows.forEach((r, b) => {
    for (let j = 0; j < r.ids.length; j++) {
      inputIds[b * seqLen + j] = BigInt(r.ids[j]);
      attentionMask[b * seqLen + j] = 1n;
      tokenTypeIds[b * seqLen + j] = BigInt(r.typeIds[j]);
    }
  });
  return { batchSize: rows.length, seqLen, inputIds, attentionMask, tokenTypeIds, lengths: rows.map((r) => r.ids.length) };
}

// ---- models ----

type ModelTokenize = (word: string) => string[];

/** Greedy longest-match-first; a word with any unmatched piece becomes one [UNK]. */
function wordPiece(toId: Map<string, number>, unk: string | undefined, prefix: string, maxChars: number): ModelTokenize {
  return (word) => {
    const chars = Array.from(word);
    if (chars.length > maxChars) return unk !== undefined ? [unk] : [];
    const out: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const piece = (start > 0 ? prefix : '') + chars.slice(start, end).join('');
        if (toId.has(piece)) {
          found = piece;
          break;
        }
        end--;
      }
      if (found === undefined) return unk !== undefined ? [unk] : [];
      out.push(found);
      start = end;
    }
    return out;
  };
}

function wordLevel(toId: Map<string, number>, unk: string | undefined): ModelTokenize {
  return (word) => (toId.has(word) ? [word] : unk !== undefined ? [unk] : []);
}

// ---- normalizers ----

type Normalize = (s: string) => string;

function buildNormalizer(spec: Json | null, source: string): Normalize {
  if (spec === null) return (s) => s;
  switch (spec.type) {
    case 'BertNormalizer':
      return bertNormalizer(spec);
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (s) => s.normalize(spec.type);
    case 'StripAccents':
      return stripAccents;
    case 'Strip':
      return (s) => {
        let out = s;
        if (spec.strip_left !== false) out = out.replace(/^\p{White_Space}+/u, '');
        if (spec.strip_right !== false) out = out.replace(/\p{White_Space}+$/u, '');
        return out;
      };
    case 'Sequence': {
      const steps = (spec.normalizers as Json[]).map((n) => buildNormalizer(n, source));
      return (s) => steps.reduce((acc, f) => f(acc), s);
    }
    default:
      throw new Error(`${source}: unsupported normalizer type "${spec.type}"`);
  }
}

const stripAccents: Normalize = (s) => s.normalize('NFD').replace(/\p{Mn}/gu, '');

/** The BERT normalizer, in the order the `tokenizers` crate applies it. */
function bertNormalizer(spec: Json): Normalize {
  const cleanText = spec.clean_text !== false;
  const chinese = spec.handle_chinese_chars !== false;
  const lowercase = spec.lowercase !== false;
  // strip_accents: null means "follow lowercase"
  const strip = spec.strip_accents === null || spec.strip_accents === undefined ? lowercase : Boolean(spec.strip_accents);
  return (input) => {
    let s = input;
    if (cleanText) s = s.replace(/[\0\ufffd]/g, '').replace(/\p{White_Space}/gu, ' ').replace(/\p{C}/gu, '');
    if (chinese) s = s.replace(CJK, ' $& ');
    if (strip) s = stripAccents(s);
    if (lowercase) s = s.toLowerCase();
    return s;
  };
}

// The CJK ideograph blocks BERT pads with spaces (one ideograph = one word).
const CJK = /[\u{4E00}-\u{9FFF}\u{3400}-\u{4DBF}\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B920}-\u{2CEAF}\u{F900}-\u{FAFF}\u{2F800}-\u{2FA1F}]/gu;

// ---- pre-tokenizers ----

type PreTokenize = (s: string) => string[];

// BERT counts every ASCII symbol ($, +, <, =, >, ^, `, |, ~) as punctuation too;
// each punctuation char is its own word, whitespace only separates.
const BERT_WORDS = /[!-/:-@[-`{-~\p{P}]|[^!-/:-@[-`{-~\p{P}\p{White_Space}]+/gu;
const PUNCT_WORDS = /[!-/:-@[-`{-~\p{P}]|[^!-/:-@[-`{-~\p{P}]+/gu;

function buildPreTokenizer(spec: Json | null, source: string): PreTokenize {
  if (spec === null) return (s) => (s ? [s] : []);
  switch (spec.type) {
    case 'BertPreTokenizer':
      return (s) => s.match(BERT_WORDS) ?? [];
    case 'WhitespaceSplit':
      return (s) => s.split(/\p{White_Space}+/u).filter(Boolean);
    case 'Whitespace':
      return (s) => s.match(/[\p{L}\p{N}\p{M}\p{Pc}]+|[^\p{L}\p{N}\p{M}\p{Pc}\p{White_Space}]+/gu) ?? [];
    case 'Punctuation':
      if (spec.behavior && spec.behavior !== 'Isolated') {
        throw new Error(`${source}: unsupported Punctuation behavior "${spec.behavior}"`);
      }
      return (s) => s.match(PUNCT_WORDS) ?? [];
    case 'Digits':
      return (s) => (spec.individual_digits ? s.split(/(\p{Nd})/u) : s.split(/(\p{Nd}+)/u)).filter(Boolean);
    case 'Sequence': {
      const steps = (spec.pretokenizers as Json[]).map((p) => buildPreTokenizer(p, source));
      return (s) => steps.reduce<string[]>((words, f) => words.flatMap(f), [s]).filter(Boolean);
    }
    default:
      throw new Error(`${source}: unsupported pre_tokenizer type "${spec.type}"`);
  }
}

// ---- post-processors (single sequence only: we never encode pairs) ----

function buildTemplate(spec: Json | null, toId: Map<string, number>, source: string): Template {
  const none: Template = { prefix: [], suffix: [], sequenceTypeId: 0 };
  if (spec === null) return none;
  const idOf = (token: string, fallback?: number): number => {
    const id = toId.get(token) ?? fallback;
    if (id === undefined) throw new Error(`${source}: post_processor token "${token}" is not in the vocab`);
    return id;
  };
  switch (spec.type) {
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const [cls, clsId] = spec.cls as [string, number];
      const [sep, sepId] = spec.sep as [string, number];
      return { prefix: [{ id: idOf(cls, clsId), typeId: 0 }], suffix: [{ id: idOf(sep, sepId), typeId: 0 }], sequenceTypeId: 0 };
    }
    case 'TemplateProcessing': {
      const t: Template = { prefix: [], suffix: [], sequenceTypeId: 0 };
      let seen = false;
      for (const item of spec.single as Json[]) {
        if (item.Sequence) {
          seen = true;
          t.sequenceTypeId = Number(item.Sequence.type_id ?? 0);
          continue;
        }
        const name = String(item.SpecialToken.id);
        const typeId = Number(item.SpecialToken.type_id ?? 0);
        const declared = (spec.special_tokens as Json | undefined)?.[name]?.ids as number[] | undefined;
        const ids = declared ?? [idOf(name)];
        for (const id of ids) (seen ? t.suffix : t.prefix).push({ id, typeId });
      }
      return t;
    }
    case 'ByteLevel':
      return none; // only adjusts offsets
    case 'Sequence': {
      const parts = (spec.processors as Json[]).map((p) => buildTemplate(p, toId, source));
      return parts.find((p) => p.prefix.length || p.suffix.length) ?? none;
    }
    default:
      throw new Error(`${source}: unsupported post_processor type "${spec.type}"`);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
