import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * Test fixtures: tiny ONNX models and matching HuggingFace tokenizer.json
 * files, written with the ONNX protobuf schema so the real onnxruntime-node
 * loading code runs on them. Weights are either given by the test (so the
 * expected vectors can be worked out by hand) or random from a seed (for
 * benchmarks and end-to-end runs over a real repository).
 *
 *   embedding: Gather(word table, input_ids) [+ Gather(type table, token_type_ids)] [· projection]
 *              → last_hidden_state [batch, sequence, hidden]
 *   SPLADE:    Gather(word table, input_ids) · W + bias → logits [batch, sequence, vocab]
 *
 * Both declare attention_mask but ignore it, like a real encoder's padding
 * positions still produce (non-zero) vectors: pooling must apply the mask itself.
 */

/** ids 0..4, in BERT's usual order of importance for tests: [PAD] is 0. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** A small code-ish vocabulary: words, punctuation and a few ## continuations. */
export const TINY_WORDS: readonly string[] = [
  'def', 'class', 'return', 'import', 'from', 'function', 'const', 'let', 'async', 'await', 'if', 'else', 'for',
  'while', 'new', 'self', 'this', 'true', 'false', 'null', 'string', 'number', 'list', 'map', 'get', 'set',
  'user', 'id', 'name', 'value', 'key', 'data', 'file', 'path', 'read', 'write', 'parse', 'json', 'error',
  'test', 'config', 'index', 'load', 'save', 'http', 'request', 'response', 'server', 'client', 'query',
  'search', 'token', 'model', 'vector', 'by', 'to', 'hello', 'world',
  '(', ')', '{', '}', '[', ']', ';', ':', ',', '.', '=', '+', '-', '*', '/', '<', '>', '"', "'", '_',
  '##s', '##ed', '##ing', '##er', '##user', '##id', '##name', '##value', '##data', '##file', '##path', '##by', '##to',
];

/** [PAD], [UNK], [CLS], [SEP], [MASK], then the words: index = token id. */
export function tinyVocab(words: readonly string[] = TINY_WORDS): string[] {
  return [...SPECIAL_TOKENS, ...words];
}

// ~950 common identifier words (general code terms, then the most frequent
// words in TypeScript's and Node's type declarations).
const CODE_WORDS = `
def class self return import from as if elif else for while try except finally raise with yield lambda pass
break continue async await function const let var new this true false null none undefined void static public
private protected interface type enum struct impl trait fn pub mod use match package func go defer chan select
range map make string str int float double bool boolean char byte list dict set tuple array vector slice
object any number print println printf log logger debug info warn error fatal trace exception panic assert
test spec mock expect get put post delete patch head options fetch request response client server handler
router route middleware user users account auth login logout token session cookie password email admin role
permission id name value key item items data file files path dir directory read write open close load save
parse format json yaml xml csv html css http https url uri query param params header headers body status code
message config settings env option default init start stop run main app service worker job queue task schedule
index search find filter sort order group count sum min max avg limit offset page size length total create
update insert remove add append push pop shift clear reset copy clone merge split join replace trim db
database sql table row column schema model entity record field migration transaction commit rollback cache
redis store memory buffer stream pipe chunk batch embed embedding sparse dense matrix tensor node tree graph
edge parent child children root leaf visit walk traverse event emit listener callback promise future thread
lock mutex channel signal timeout retry backoff input output source target result results state context scope
module component props render view validate validator check verify hash encode decode encrypt decrypt sign
compress serialize deserialize time date now timestamp duration interval delay sleep clock image text content
template layout style theme color width height api endpoint resource provider factory builder adapter port
repository manager controller readonly element extends declare svg ev prototype like web export once prepend
err or keyof texture shared gl lenum dom to media iterator audio non uniform encoding arg rtc idb js on socket
symbol readable args location transform notification src lint reference is unknown method uint inspector
typeof heap runtime global mode sync constructor algorithm pair lsizei iterable debugger lib video window end
canvas luint performance track profiler frame animated script no webgl bigint writable attachment of vertex
current rule draw alpha tls framebuffer depth line promisify font parameter system namespace big compressed
decoder svgfe base stencil entry instance connection handlers crypto document incoming math values in blob
handle program console property stats point res ext callbackfn extension generate face transport high encoder
numeric animation rsa errno rgb rect only network position tag predicate abort shader address resolve last
reader unit origin renderbuffer by attrib sampler observer rendering form block send stdio req identifier
progress es fill rgba exec all connect report change version lfloat midi net transfer binary binding locales
auto level next border types locale encoded lboolean pem der stamp remote speech feedback aes bytes unsigned
tex fv payment display rtp blend ui cipher active previous ice execution elements duplex flags brotli process
custom snapshot oes keys space fd transition call pipeline storage reduce scroll destination synthesis
metadata be spawn ts never exit angle ed usage secure hostname events emitter descriptor entries mark loading
cube pointer received collection allow bitmap webkit local exp access picture stack tracing disconnect srgb
buffers profile shadow timing reg label initial sample failed strategy parsed numberish dst coverage ce peer
obj ec command right valid fragment mask finished fs not lookup bits vec zlib policy other direction khr
credential has resolved supported astc device family ml matcher parameters complete kind cursor navigator
pause stderr breakpoint intl sub attributes names playback stdout description rejection offscreen cd back
certificate invalid box ca weak stat long short navigation underlying linear rg counts abstract ref strict
details sent link iv each unpack aria promises wrap resume the before extensions reason integer subscription
scale gradient align compare inspect argument orientation resize fail closed buf container one screen infer
registry capabilities require control lintptr ready transpose validity locals typed equal rate named queuing
generator listening raw red disable skip df touch signals units inline at pname gamepad measure flush compile
enable protocol constant candidate pattern hmac cancel registration extractable usages mat ns padding cue
constants clamped priority half finish mouse filename compression bind outgoing opts prime waiting host drain
gen extendable enabled mipmap standard minus will history repl gcm onmessage paused light hook dsa nghttp
multi components clipboard curve credentials broadcast left title cb effect proxy le pick domain quality
security skew composite viewport xoffset yoffset watch feblend unpipe part unique referrer pixel fe operation
stroke low release attached focus section per drop val core uncaught operator show dc primitive prefix
decorator cha mocked capture mime common samples loop and nearest drag trailers wait frames hint rotate
unparsed green relative language polygon sheet ranges margin attr ip destroyed medium digits codec detail
recursive water done pss first attribute dedicated motion detached suite sampling hashed violation written
onerror radius top byob tc op arguments bg selection scheduled qualified enumeration warning generic pack
offline optional processing worklet constrain wave dtls added evaluate builtin thrown mapfn derive keep
redirect invert etc pixels blue reverse lclampf delta disposable keyframe ratio idle dns objects todo
requested created seen override processor sink aspect aborted messageerror variable dd visibility eval animate
cluster plural gc listeners addresses revoked called started collected bitrate pbkdf transferable transformer
styles snorm agent equation incomplete jwk actual cf dynamic condition writemask negative wake background
multiple utterance ttl hooks ssl util
`;

/**
 * A ~2,000-token WordPiece vocabulary for code: specials, ASCII punctuation,
 * digits and letters (so almost nothing is [UNK]), ~950 identifier words,
 * and a "##" continuation of each so camelCase/snake_case words split well.
 */
export function codeVocab(): string[] {
  const words = CODE_WORDS.split(/\s+/).filter(Boolean);
  const chars: string[] = [];
  for (let c = 33; c < 127; c++) chars.push(String.fromCharCode(c));
  const single = chars.filter((c) => !/[A-Z]/.test(c)); // the normalizer lowercases
  const continuations = [...'abcdefghijklmnopqrstuvwxyz0123456789', 's', 'ed', 'ing', 'er', 'es', 'ly', 'ion', 'able'].map((s) => `##${s}`);
  const all = [...SPECIAL_TOKENS, ...single, ...words, ...continuations, ...words.map((w) => `##${w}`)];
  return [...new Set(all)];
}

export type TokenizerModelType = 'WordPiece' | 'WordLevel';

/**
 * A tokenizer.json in the layout HuggingFace writes for BERT (as shipped with
 * naver/splade-v3 and MiniLM/BGE): BertNormalizer, BertPreTokenizer,
 * WordPiece, [CLS] $A [SEP] template. WordLevel swaps only the model.
 */
export function bertTokenizerJson(vocab: readonly string[], model: TokenizerModelType = 'WordPiece'): Record<string, unknown> {
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  const idOf = (t: string) => {
    if (!(t in ids)) throw new Error(`vocab lacks ${t}`);
    return ids[t] as number;
  };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: idOf(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [idOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [idOf('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model:
      model === 'WordPiece'
        ? { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: ids }
        : { type: 'WordLevel', unk_token: '[UNK]', vocab: ids },
  };
}

// ---- seeded random weights ----

/** mulberry32: small, fast, reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianMatrix(rows: number, cols: number, rand: () => number, scale = 1): number[][] {
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => normal() * scale));
}

function unitRows(m: number[][]): number[][] {
  return m.map((r) => {
    const n = Math.hypot(...r) || 1;
    return r.map((x) => x / n);
  });
}

// ---- ONNX graph building ----

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatInitializer(name: string, rows: number[][]): onnxProto.onnx.ITensorProto {
  const cols = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== cols)) throw new Error(`${name}: ragged matrix`);
  const bytes = new Uint8Array(rows.length * cols * 4);
  const view = new DataView(bytes.buffer);
  rows.forEach((r, i) => r.forEach((x, j) => view.setFloat32((i * cols + j) * 4, x, true)));
  return { name, dataType: FLOAT, dims: [rows.length, cols], rawData: bytes };
}

function vectorInitializer(name: string, values: number[]): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return { name, dataType: FLOAT, dims: [values.length], rawData: bytes };
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function node(opType: string, input: string[], output: string[]): onnxProto.onnx.INodeProto {
  return { opType, input, output, name: `${opType}_${output[0]}` };
}

function modelBytes(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'codeintel-test-fixtures',
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

async function writeModelDir(dir: string, graph: onnxProto.onnx.IGraphProto, tokenizer: Record<string, unknown>, card?: Record<string, string>) {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), modelBytes(graph));
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer, null, 2));
  if (card) await writeFile(path.join(dir, 'codeintel.json'), JSON.stringify(card, null, 2));
}

// ---- the two models ----

export interface TinyEmbeddingModelOptions {
  /** default tinyVocab() */
  vocab?: readonly string[];
  tokenizer?: TokenizerModelType;
  /** default 4 (ignored when `embeddings` is given) */
  hidden?: number;
  /** the word table, [vocab][hidden]; default seeded random */
  embeddings?: number[][];
  /** when given, the model declares token_type_ids and adds this [2][hidden] table */
  tokenTypeEmbeddings?: number[][];
  /** optional [hidden][hidden] MatMul applied after the lookup */
  projection?: number[][];
  /** declare the hidden size symbolically (as some exports do) instead of as a number */
  symbolicHidden?: boolean;
  /** written to codeintel.json as model_id */
  modelId?: string;
  seed?: number;
}

export interface WrittenEmbeddingModel {
  dir: string;
  vocab: string[];
  hidden: number;
  embeddings: number[][];
}

export async function writeTinyEmbeddingModel(dir: string, opts: TinyEmbeddingModelOptions = {}): Promise<WrittenEmbeddingModel> {
  const vocab = [...(opts.vocab ?? tinyVocab())];
  const hidden = opts.embeddings?.[0]?.length ?? opts.hidden ?? 4;
  const embeddings = opts.embeddings ?? gaussianMatrix(vocab.length, hidden, seededRandom(opts.seed ?? 7), 1 / Math.sqrt(hidden));
  if (embeddings.length !== vocab.length) throw new Error(`embeddings has ${embeddings.length} rows for a vocab of ${vocab.length}`);

  const inputs = [valueInfo('input_ids', INT64, ['batch', 'sequence']), valueInfo('attention_mask', INT64, ['batch', 'sequence'])];
  const initializer = [floatInitializer('word_embeddings', embeddings)];
  const nodes = [node('Gather', ['word_embeddings', 'input_ids'], ['words'])];
  let last = 'words';
  if (opts.tokenTypeEmbeddings) {
    inputs.push(valueInfo('token_type_ids', INT64, ['batch', 'sequence']));
    initializer.push(floatInitializer('type_embeddings', opts.tokenTypeEmbeddings));
    nodes.push(node('Gather', ['type_embeddings', 'token_type_ids'], ['types']), node('Add', [last, 'types'], ['summed']));
    last = 'summed';
  }
  if (opts.projection) {
    initializer.push(floatInitializer('projection', opts.projection));
    nodes.push(node('MatMul', [last, 'projection'], ['projected']));
    last = 'projected';
  }
  nodes.push(node('Identity', [last], ['last_hidden_state']));
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'tiny_embedding',
    node: nodes,
    initializer,
    input: inputs,
    output: [valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', opts.symbolicHidden ? 'hidden' : hidden])],
  };
  await writeModelDir(dir, graph, bertTokenizerJson(vocab, opts.tokenizer), opts.modelId ? { model_id: opts.modelId } : undefined);
  return { dir, vocab, hidden, embeddings };
}

export interface TinySpladeModelOptions {
  /** default tinyVocab() */
  vocab?: readonly string[];
  tokenizer?: TokenizerModelType;
  /**
   * Hand-set logits: the logit input token `token` gives vocab term `term`.
   * Built as identity lookup (hidden = vocab size) times this table.
   */
  logit?: (token: number, term: number) => number;
  /** random variant (when no `logit`): hidden size, default 32 */
  hidden?: number;
  seed?: number;
}

export interface WrittenSpladeModel {
  dir: string;
  vocab: string[];
}

/**
 * Without `logit`, weights are random but shaped like SPLADE: each token's
 * logits are 6·cos(e_token, e_term) − 2, so a token activates itself (4) and
 * the few terms whose random direction lies near it; most terms stay negative.
 */
export async function writeTinySpladeModel(dir: string, opts: TinySpladeModelOptions = {}): Promise<WrittenSpladeModel> {
  const vocab = [...(opts.vocab ?? tinyVocab())];
  const V = vocab.length;
  let table: number[][];
  let projection: number[][];
  let bias: number[];
  if (opts.logit) {
    table = Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => (i === j ? 1 : 0)));
    projection = Array.from({ length: V }, (_, t) => Array.from({ length: V }, (_, u) => opts.logit!(t, u)));
    bias = new Array(V).fill(0);
  } else {
    const hidden = opts.hidden ?? 32;
    table = unitRows(gaussianMatrix(V, hidden, seededRandom(opts.seed ?? 11)));
    projection = Array.from({ length: hidden }, (_, h) => table.map((row) => 6 * row[h]));
    bias = new Array(V).fill(-2);
  }
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'tiny_splade',
    node: [
      node('Gather', ['word_embeddings', 'input_ids'], ['hidden_states']),
      node('MatMul', ['hidden_states', 'mlm_weight'], ['scores']),
      node('Add', ['scores', 'mlm_bias'], ['logits']),
    ],
    initializer: [floatInitializer('word_embeddings', table), floatInitializer('mlm_weight', projection), vectorInitializer('mlm_bias', bias)],
    input: [valueInfo('input_ids', INT64, ['batch', 'sequence']), valueInfo('attention_mask', INT64, ['batch', 'sequence'])],
    output: [valueInfo('logits', FLOAT, ['batch', 'sequence', V])],
  };
  await writeModelDir(dir, graph, bertTokenizerJson(vocab, opts.tokenizer));
  return { dir, vocab };
}
