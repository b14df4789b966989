import { readSse } from '../../src/answer/sse.js';

/** One received SSE event, with its JSON data parsed. */
export interface ReceivedEvent {
  id?: number;
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event type carries its own JSON; tests read the fields of the event they picked
  data: any;
  /** hrtime-based epoch ms when it was parsed */
  at: number;
}

/**
 * A real SSE client over fetch: reads an answer's event stream until it ends,
 * or until `until` says stop (then it disconnects, like a closed tab).
 */
export async function readEvents(
  url: string,
  opts: { lastEventId?: number; headers?: Record<string, string>; until?: (ev: ReceivedEvent, all: ReceivedEvent[]) => boolean; onEvent?: (ev: ReceivedEvent) => void } = {},
): Promise<{ status: number; contentType: string; events: ReceivedEvent[]; disconnected: boolean }> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(opts.lastEventId ? { 'last-event-id': String(opts.lastEventId) } : {}), ...opts.headers },
    signal: abort.signal,
  });
  const events: ReceivedEvent[] = [];
  const contentType = res.headers.get('content-type') ?? '';
  if (!res.ok || !res.body || !contentType.startsWith('text/event-stream')) {
    const text = await res.text();
    return { status: res.status, contentType, events: text ? [{ event: 'body', data: JSON.parse(text), at: Date.now() }] : [], disconnected: false };
  }
  let disconnected = false;
  try {
    for await (const m of readSse(res.body, abort.signal)) {
      const ev: ReceivedEvent = { ...(m.id !== undefined ? { id: Number(m.id) } : {}), event: m.event, data: JSON.parse(m.data), at: performance.timeOrigin + performance.now() };
      events.push(ev);
      opts.onEvent?.(ev);
      if (opts.until?.(ev, events)) {
        disconnected = true;
        abort.abort();
        break;
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  }
  return { status: res.status, contentType, events, disconnected };
}
