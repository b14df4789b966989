/**
 * Write small, seeded ONNX models for trying the ONNX path without a model
 * hub: <outDir>/embed (dense embedder) and <outDir>/splade (SPLADE head),
 * each with a BERT-style tokenizer.json over a ~2,000-token code vocabulary.
 * They are not trained — vectors are lexical, not semantic — but they load,
 * run and produce the shapes real models do.
 *
 *   npx tsx scripts/make-test-models.ts <outDir> [--hidden 128] [--splade-hidden 64] [--seed 7]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { codeVocab, writeTinyEmbeddingModel, writeTinySpladeModel } from '../test/support/onnxModels.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    hidden: { type: 'string', default: '128' },
    'splade-hidden': { type: 'string', default: '64' },
    seed: { type: 'string', default: '7' },
  },
});

const outDir = positionals[0];
const int = (name: string, raw: string | undefined, min: number, max: number): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer between ${min} and ${max} (got ${raw})`);
    process.exit(2);
  }
  return n;
};

if (!outDir) {
  console.error('usage: npx tsx scripts/make-test-models.ts <outDir> [--hidden 128] [--splade-hidden 64] [--seed 7]');
  process.exit(2);
}
const hidden = int('hidden', values.hidden, 8, 4096);
const spladeHidden = int('splade-hidden', values['splade-hidden'], 8, 4096);
const seed = int('seed', values.seed, 0, 2 ** 31);

const vocab = codeVocab();
const embedDir = path.resolve(outDir, 'embed');
const spladeDir = path.resolve(outDir, 'splade');
await writeTinyEmbeddingModel(embedDir, { vocab, hidden, seed, modelId: `codeintel-test/embed-code-${hidden}d-seed${seed}` });
await writeTinySpladeModel(spladeDir, { vocab, hidden: spladeHidden, seed: seed + 1 });

console.log(`wrote ${embedDir} (vocab ${vocab.length}, ${hidden}-d) and ${spladeDir} (vocab ${vocab.length})`);
console.log('try them with:');
console.log(`  EMBEDDER=onnx EMBEDDING_MODEL_DIR=${embedDir} EMBEDDING_DIM=${hidden} \\`);
console.log(`  SPLADE_MODEL_DIR=${spladeDir} SPLADE_MODEL_ID=codeintel-test/splade-code`);
