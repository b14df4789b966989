import express from 'express';
import { describe, expect, it } from 'vitest';
import { problemErrorHandler } from '../../src/api/errorHandler.js';
import { isRedisUnavailable } from '../../src/queue/connection.js';

/** An app whose one route throws `err`, behind the API's error handler; the response it gives. */
async function responseTo(err: unknown) {
  const logged: string[] = [];
  const app = express();
  app.get('/x', () => {
    throw err;
  });
  app.use(problemErrorHandler({ error: (_o, m) => logged.push(m) }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/x`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { type: string }, logged };
  } finally {
    server.close();
  }
}

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('Redis out of reach during a request', () => {
  it('is a 503 redis-unavailable problem with Retry-After, logged with the error', async () => {
    for (const err of [
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 2).'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error("READONLY You can't write against a read only replica."),
      new Error('All sentinels are unreachable. Retrying from scratch after 10ms.'),
    ]) {
      const res = await responseTo(err);
      expect(res.status, err.message).toBe(503);
      expect(res.retryAfter).toBe('1');
      expect(res.body.type).toMatch(/\/redis-unavailable$/);
      expect(res.logged).toEqual(['redis unavailable during request']);
    }
  });

  it('leaves other errors alone: a plain bug is still a 500', async () => {
    expect(isRedisUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect((await responseTo(new TypeError('x is undefined'))).status).toBe(500);
  });
});
