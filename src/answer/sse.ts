/**
 * Server-sent events, both ways: an incremental parser (WHATWG "event stream
 * interpretation") used by the OpenAI generator, the CLI, tests and the bench,
 * and the writer's wire format. One parser for every reader keeps them honest.
 */

export interface SseMessage {
  /** `event:` field; "message" when absent */
  event: string;
  data: string;
  /** `id:` field of this message, when it had one */
  id?: string;
  /** `retry:` field, when present */
  retry?: number;
}

/** Feed text as it arrives; complete messages come back in order. Comments (`: ...`) are skipped. */
export function createSseParser() {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let retry: number | undefined;
  let sawField = false;
  let afterCr = false;

  function line(l: string, out: SseMessage[]) {
    if (l === '') {
      if (sawField && (data.length > 0 || event !== '')) {
        out.push({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}), ...(retry !== undefined ? { retry } : {}) });
      }
      data = [];
      event = '';
      id = undefined;
      retry = undefined;
      sawField = false;
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    sawField = true;
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }

  return {
    push(text: string): SseMessage[] {
      // a CR ends a line at once; an LF right after it (maybe in the next push) belongs to it
      if (afterCr && text.charCodeAt(0) === 10) text = text.slice(1);
      afterCr = false;
      buffer += text;
      const out: SseMessage[] = [];
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer.charCodeAt(i);
        if (ch !== 10 && ch !== 13) continue;
        line(buffer.slice(start, i), out);
        if (ch === 13) {
          if (i === buffer.length - 1) afterCr = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    /** The stream ended: a message without its blank line is dropped, as the spec says. */
    end(): SseMessage[] {
      buffer = '';
      data = [];
      return [];
    },
  };
}

/** Read SSE messages from a fetch body until it ends or the signal aborts. */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseMessage> {
  const parser = createSseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const m of parser.push(decoder.decode(value, { stream: true }))) yield m;
    }
    for (const m of parser.push(decoder.decode())) yield m;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // closing early (break, abort, error) releases the connection
    await reader.cancel().catch(() => {});
  }
}

/** One SSE message on the wire. `data` must not contain newlines (JSON.stringify output never does). */
export function formatSse(msg: { event?: string; data: string; id?: string | number }): string {
  let out = '';
  if (msg.id !== undefined) out += `id: ${msg.id}\n`;
  if (msg.event) out += `event: ${msg.event}\n`;
  for (const l of msg.data.split('\n')) out += `data: ${l}\n`;
  return `${out}\n`;
}
