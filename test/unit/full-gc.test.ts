import { describe, expect, it } from 'vitest';
import { createFullGc } from '../../workers/fullGc.js';

/** The GC run after a repo reader load really collects what nothing holds. */
describe('createFullGc', () => {
  it('collects an unreachable object', async () => {
    const gc = createFullGc();
    // made in a function of its own: nothing in this scope holds it
    const ref = ((): WeakRef<number[]> => new WeakRef(Array.from({ length: 100_000 }, (_, i) => i)))();
    // a WeakRef keeps its target alive until the current job ends
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(ref.deref()).toBeUndefined();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
