import { describe, expect, it } from 'vitest';
import { connectionOptions, describeTarget } from '../../src/queue/connection.js';

const sentinel = { sentinels: [{ host: 's1', port: 26379 }], name: 'queues' };

describe('Redis connection options', () => {
  it('a plain URL needs no options beyond it', () => {
    expect(connectionOptions({ url: 'redis://u:p@cache:6380/2' })).toEqual({});
  });

  it('under Sentinel, the URL gives the primary\'s credentials, database and TLS, not its address', () => {
    const opts = connectionOptions({ url: 'rediss://app:pa%40ss@ignored:1/3', sentinel: { ...sentinel, password: 'sp' } });
    expect(opts).toMatchObject({ sentinels: sentinel.sentinels, name: 'queues', sentinelPassword: 'sp', username: 'app', password: 'pa@ss', db: 3, tls: {}, enableTLSForSentinelMode: true, failoverDetector: true });
    expect(opts).not.toHaveProperty('host');
    expect(connectionOptions({ url: 'redis://127.0.0.1:6379', sentinel })).not.toHaveProperty('db');
  });

  it('describes a target without its credentials', () => {
    expect(describeTarget({ url: 'redis://app:secret@cache:6379/0' })).toBe('redis://***@cache:6379/0');
    expect(describeTarget({ url: 'redis://app:secret@x:1', sentinel })).toBe('sentinel primary "queues" via s1:26379');
  });
});
