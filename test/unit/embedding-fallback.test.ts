import { describe, expect, it } from 'vitest';
import { EmbeddingError } from '../../src/errors/embeddingError.js';
import { withInprocessFallback } from '../../src/embedding/fallback.js';
import { OutOfMemoryError } from '../../src/errors/outOfMemoryError.js';
import { type Embedder } from '../../src/embedding/port.js';

/** An embedder that answers with its own marker value, or fails with whatever `fail` returns. */
function fakeEmbedder(provider: 'vllm' | 'onnx', marker: number) {
  const state = { calls: 0, fail: null as null | (() => Error) };
  const e: Embedder = {
    contract: { model: provider === 'vllm' ? 'Qwen/Qwen3-Embedding-8B' : 'onnx:minilm', provider, dim: 1, dtype: 'float32', pooling: 'mean', normalize: true, queryInstruction: '' },
    async embedDocuments(texts) {
      state.calls++;
      if (state.fail) throw state.fail();
      return texts.map(() => new Float32Array([marker]));
    },
    async embedQuery() {
      return new Float32Array([marker]);
    },
    health: async () => ({ ok: !state.fail, detail: state.fail ? 'connection refused' : 'HTTP 200' }),
    close: async () => {},
  };
  return { e, state };
}

const down = () => new EmbeddingError('vLLM embeddings at http://v/v1/embeddings unavailable after 4 attempt(s): ECONNREFUSED', { retryable: true });

describe('vLLM with the in-process fallback', () => {
  it('falls back while vLLM is down, stays on the fallback for a while, then tries vLLM again', async () => {
    let clock = 0;
    const vllm = fakeEmbedder('vllm', 1);
    const onnx = fakeEmbedder('onnx', 2);
    const fallbacks: string[] = [];
    const e = withInprocessFallback(vllm.e, async () => onnx.e, (err) => fallbacks.push(err.message), { retryPrimaryAfterMs: 30_000, now: () => clock });

    expect((await e.embedDocuments(['a']))[0][0]).toBe(1);
    vllm.state.fail = down;
    expect((await e.embedDocuments(['a']))[0][0]).toBe(2);
    expect(e.contract.provider).toBe('onnx');
    expect(fallbacks).toHaveLength(1);
    expect(await e.health()).toEqual({ ok: true, detail: 'vLLM unavailable (connection refused); in-process fallback in use' });

    clock = 10_000; // within the cool-down: vLLM is not called (no retry schedule to sit out)
    const callsBefore = vllm.state.calls;
    expect((await e.embedDocuments(['b']))[0][0]).toBe(2);
    expect(vllm.state.calls).toBe(callsBefore);

    clock = 31_000; // vLLM is back
    vllm.state.fail = null;
    expect((await e.embedDocuments(['c']))[0][0]).toBe(1);
    expect(e.contract.provider).toBe('vllm');
  });

  it('does not fall back on an out-of-memory signal or a permanent error: those are the caller\'s to handle', async () => {
    const vllm = fakeEmbedder('vllm', 1);
    const onnx = fakeEmbedder('onnx', 2);
    const e = withInprocessFallback(vllm.e, async () => onnx.e, () => {});
    vllm.state.fail = () => new OutOfMemoryError('vLLM ran out of memory on a batch of 64', 64);
    await expect(e.embedDocuments(['a'])).rejects.toBeInstanceOf(OutOfMemoryError);
    vllm.state.fail = () => new EmbeddingError('vLLM rejected the request (HTTP 404): model does not exist', { retryable: false });
    await expect(e.embedDocuments(['a'])).rejects.toThrow(/HTTP 404/);
    expect(onnx.state.calls).toBe(0);
  });
});
