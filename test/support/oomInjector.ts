import { OutOfMemoryError } from '../../src/errors/outOfMemoryError.js';
import { type Embedder } from '../../src/embedding/port.js';

/**
 * A real embedder behind a fault injector: any call with more than `limit`
 * texts fails the way a full GPU does (OutOfMemoryError, which onnxruntime's
 * "Failed to allocate memory" and vLLM's 413 map to) before reaching the
 * model. Everything else is the wrapped embedder, untouched.
 */
export function injectOomAbove(inner: Embedder, limit: number): Embedder & { readonly faults: number } {
  let faults = 0;
  return {
    get contract() {
      return inner.contract;
    },
    get faults() {
      return faults;
    },
    async embedDocuments(texts, signal) {
      if (texts.length > limit) {
        faults++;
        throw new OutOfMemoryError(`injected fault: Failed to allocate memory for a batch of ${texts.length} (limit ${limit})`, texts.length);
      }
      return inner.embedDocuments(texts, signal);
    },
    embedQuery: (text, signal) => inner.embedQuery(text, signal),
    health: () => inner.health(),
    close: () => inner.close(),
  };
}
