import { z } from 'zod';
import type { chunkingSection } from './chunking.js';
import type { embeddingSection } from './embedding.js';
import { splitList } from './parsers.js';
import type { retrievalSection } from './retrieval.js';
import type { sinksSection } from './sinks.js';

/**
 * The rules between settings of different variables (a single variable's range is its parser's job).
 * Each rule runs as soon as the sections it reads have parsed (index.ts attaches it there), so a bad
 * variable elsewhere does not hide it from the one error message.
 */

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
export const isLoopbackHost = (host: string) => LOOPBACK.has(host) || host.startsWith('127.');

function report(ctx: z.RefinementCtx, variable: string, message: string, { showValue = true } = {}) {
  ctx.addIssue({ code: z.ZodIssueCode.custom, path: [variable], message, params: { showValue } });
}

/**
 * Listening beyond loopback needs API_TOKENS and REPO_ROOTS. Checked on the raw values, beside the
 * sections rather than after them, so it is reported even when another variable is bad: the one
 * message still lists everything. Adds nothing to the config.
 */
export const exposureRules = z
  .object({ HOST: z.string().optional(), API_TOKENS: z.string().optional(), REPO_ROOTS: z.string().optional() })
  .superRefine((env, ctx) => {
    const host = env.HOST || '127.0.0.1';
    if (isLoopbackHost(host)) return;
    if (splitList(env.API_TOKENS, ',').length === 0) {
      report(ctx, 'API_TOKENS', `must be set when HOST (${host}) is not a loopback address`, { showValue: false });
    }
    if (splitList(env.REPO_ROOTS, ':').length === 0) {
      report(ctx, 'REPO_ROOTS', `must be set when HOST (${host}) is not a loopback address`, { showValue: false });
    }
  })
  .transform(() => ({}));

/** Line windows must advance: an overlap as large as the window would repeat it forever. */
export function chunkWindowRule(section: z.output<typeof chunkingSection>, ctx: z.RefinementCtx): void {
  if (section.chunking.overlapLines >= section.chunking.windowLines) {
    report(ctx, 'CHUNK_OVERLAP_LINES', 'must be smaller than CHUNK_WINDOW_LINES');
  }
}

/** An embedder chosen by name needs what it runs on. */
export function embedderRule({ embedding, vllm }: z.output<typeof embeddingSection>, ctx: z.RefinementCtx): void {
  if (embedding.kind === 'vllm' && !vllm.url) report(ctx, 'VLLM_URL', 'must be set when EMBEDDER=vllm', { showValue: false });
  if (embedding.kind === 'onnx' && !embedding.modelDir) report(ctx, 'EMBEDDING_MODEL_DIR', 'must be set when EMBEDDER=onnx', { showValue: false });
}

/** The dense channel served by Neo4j needs the Neo4j sink. */
export function denseChannelRule(config: z.output<typeof retrievalSection> & z.output<typeof sinksSection>, ctx: z.RefinementCtx): void {
  if (config.retrieval.denseChannel === 'neo4j' && !config.neo4j) report(ctx, 'DENSE_CHANNEL', 'DENSE_CHANNEL=neo4j needs NEO4J_URI');
}
