import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { createCodeintelMcpServer } from '../../src/mcp/server.js';
import type { CodeintelService } from '../../src/mcp/service.js';
import { callTool } from '../support/mcpClients.js';

/** ask when nothing answers: the tool gives up with a message, it does not hang until the client times out. */

async function connected(service: Partial<CodeintelService>, askFirstTextMs: number) {
  const server = createCodeintelMcpServer(service as CodeintelService, { version: 't', askFirstTextMs });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 't', version: '1' });
  await Promise.all([server.connect(a), client.connect(b)]);
  return client;
}

describe('the ask tool without an answer worker', () => {
  it('cancels the question after askFirstTextMs and says which worker to start', async () => {
    let cancelled = false;
    const client = await connected(
      {
        // a queued answer nobody works on: no text, until the signal aborts
        ask: (_req, _onText, signal) =>
          new Promise((resolve) =>
            signal!.addEventListener('abort', () => {
              cancelled = true;
              resolve({ state: 'cancelled', answer: '', citations: [] });
            }),
          ),
      },
      200,
    );
    const t0 = Date.now();
    const r = await callTool(client, 'ask', { repo: 'r', question: 'anything?' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/no answer text within 0 s.*codeintel worker --role answer/);
    expect(cancelled).toBe(true);
    await client.close();
  });

  it('lets an answer that has started run past the limit', async () => {
    const client = await connected(
      {
        ask: async (_req, onText) => {
          onText('It ');
          await new Promise((r) => setTimeout(r, 400));
          onText('It works.');
          return { state: 'completed', answer: 'It works.', citations: [{ n: 1, path: 'a.ts', startLine: 1, endLine: 2 }] };
        },
      },
      100,
    );
    const r = await callTool(client, 'ask', { repo: 'r', question: 'q' });
    expect(r.isError, r.text).toBe(false);
    expect(r.text).toBe('It works.\n\nSources:\n  [1] a.ts:1-2');
    await client.close();
  });
});
