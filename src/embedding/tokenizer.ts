/**
 * The tokenizer port: what the ONNX embedder, the SPLADE encoder and token
 * truncation need from a HuggingFace-style tokenizer. Callers depend on this
 * interface only; huggingFaceTokenizer.ts implements it over a library.
 */

/** One text as model input: ids with the special tokens, and their token type ids. */
export interface EncodedText {
  ids: number[];
  typeIds: number[];
}

export interface Tokenizer {
  /** id → token; SPLADE uses it to name terms. Gaps in the id space are ''. */
  readonly vocab: readonly string[];
  /** ids of special tokens ([CLS], [SEP], [PAD], [UNK], [MASK], <|endoftext|>, ...). */
  readonly specialIds: ReadonlySet<number>;
  readonly padId: number;
  tokenToId(token: string): number | undefined;
  /** Model tokens of the text alone: no special tokens, no truncation. */
  tokenize(text: string): string[];
  /** ids of the text alone (no special tokens, no truncation): what a token count counts. */
  encodeText(text: string): number[];
  /** Model input: the special tokens around the text, the text cut so the whole sequence fits maxTokens. */
  encode(text: string, maxTokens: number): EncodedText;
  /** The text of ids, byte-faithful: special tokens kept as text, no clean-up of spaces. */
  decode(ids: readonly number[]): string;
}
