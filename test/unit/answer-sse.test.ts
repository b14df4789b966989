import { describe, expect, it } from 'vitest';
import { createSseParser, formatSse, readSse } from '../../src/answer/sse.js';

describe('SSE parser', () => {
  it('parses id, event and data, whatever the chunk boundaries', () => {
    const wire = formatSse({ id: 7, event: 'token', data: '{"text":"hi"}' }) + ': keep-alive\n\n' + formatSse({ id: 8, event: 'done', data: '{}' });
    for (let cut = 1; cut < wire.length; cut++) {
      const p = createSseParser();
      const got = [...p.push(wire.slice(0, cut)), ...p.push(wire.slice(cut))];
      expect(got).toEqual([
        { id: '7', event: 'token', data: '{"text":"hi"}' },
        { id: '8', event: 'done', data: '{}' },
      ]);
    }
  });

  it('joins multi-line data, accepts CRLF and CR line ends, and defaults the event name to "message"', () => {
    const p = createSseParser();
    expect(p.push('data: a\r\ndata: b\r\n\r\ndata:c\r')).toEqual([{ event: 'message', data: 'a\nb' }]);
    expect(p.push('\r')).toEqual([{ event: 'message', data: 'c' }]);
  });

  it('reads OpenAI-style streams up to [DONE] from a fetch body', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        const enc = new TextEncoder();
        c.enqueue(enc.encode('data: {"choices":[{"delta":{"content":"He"}}]}\n\nda'));
        c.enqueue(enc.encode('ta: {"choices":[{"delta":{"content":"llo"}}]}\n\ndata: [DONE]\n\n'));
        c.close();
      },
    });
    const data: string[] = [];
    for await (const m of readSse(body)) data.push(m.data);
    expect(data).toEqual(['{"choices":[{"delta":{"content":"He"}}]}', '{"choices":[{"delta":{"content":"llo"}}]}', '[DONE]']);
  });
});
