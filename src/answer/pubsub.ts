import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';

/**
 * One Redis subscriber connection per process, shared by every listener:
 * channels are SUBSCRIBEd when their first listener arrives and dropped when
 * the last one leaves (refcounted), so a thousand SSE clients cost one
 * connection, not a thousand.
 *
 * Pub/sub is fire-and-forget: messages published while the connection is
 * down are lost. ioredis resubscribes after a reconnect; listeners are then
 * told to `resync` (read what they missed from the answer's stream).
 */
export interface HubListener {
  message(payload: string): void;
  /** the connection came back after a drop: messages may have been missed */
  resync?(): void;
}

export interface SubscriptionHub {
  /** Resolves once Redis acknowledged the subscription; call the returned function to leave. */
  subscribe(channel: string, listener: HubListener): Promise<() => void>;
  /** channels with at least one listener */
  channels(): string[];
  close(): Promise<void>;
}

export function createSubscriptionHub(opts: { connect: () => Redis; logger: Logger }): SubscriptionHub {
  let conn: Redis | null = null;
  let closed = false;
  let everReady = false;
  const subs = new Map<string, { listeners: Set<HubListener>; ready: Promise<void> }>();

  function connection(): Redis {
    if (conn) return conn;
    const c = opts.connect();
    c.on('error', (err) => opts.logger.warn({ err }, 'redis subscriber connection error'));
    c.on('message', (channel: string, payload: string) => {
      const entry = subs.get(channel);
      if (!entry) return;
      for (const l of [...entry.listeners]) {
        try {
          l.message(payload);
        } catch (err) {
          opts.logger.warn({ channel, err }, 'pub/sub listener failed');
        }
      }
    });
    c.on('ready', () => {
      if (!everReady) {
        everReady = true;
        return;
      }
      opts.logger.info({ channels: subs.size }, 'redis subscriber reconnected; listeners resync from the streams');
      for (const entry of subs.values()) for (const l of entry.listeners) l.resync?.();
    });
    conn = c;
    return c;
  }

  return {
    async subscribe(channel, listener) {
      if (closed) throw new Error('subscription hub is closed');
      let entry = subs.get(channel);
      if (!entry) {
        const c = connection();
        const ready = c.subscribe(channel).then(() => undefined);
        entry = { listeners: new Set(), ready };
        subs.set(channel, entry);
        ready.catch(() => {
          if (subs.get(channel) === entry) subs.delete(channel);
        });
      }
      entry.listeners.add(listener);
      const mine = entry;
      try {
        await mine.ready;
      } catch (err) {
        mine.listeners.delete(listener);
        throw err;
      }
      let left = false;
      return () => {
        if (left) return;
        left = true;
        mine.listeners.delete(listener);
        if (mine.listeners.size === 0 && subs.get(channel) === mine) {
          subs.delete(channel);
          // commands on one connection run in order: a later SUBSCRIBE of the same channel lands after this
          conn?.unsubscribe(channel).catch(() => {});
        }
      };
    },
    channels: () => [...subs.keys()],
    async close() {
      closed = true;
      subs.clear();
      if (conn) {
        conn.disconnect();
        conn = null;
      }
    },
  };
}
