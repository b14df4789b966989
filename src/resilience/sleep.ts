import { setTimeout as delay } from 'node:timers/promises';

/** A pause; injectable so tests record delays instead of waiting them. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Abortable sleep: an aborted job must not sit out a long backoff. Rejects with the signal's reason. */
export const abortableSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw signal?.reason ?? err; // surface the caller's reason, as an aborted request does
  }
};
