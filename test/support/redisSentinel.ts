import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { waitFor as poll } from './waitFor.js';

/** waitFor every 100 ms: each check here opens a connection of its own. */
const waitFor = (check: () => Promise<boolean>, what: string, timeoutMs: number) => poll(check, what, timeoutMs, 100);

/**
 * A real Sentinel group on loopback: a primary, one replica of it and one
 * Sentinel (quorum 1) watching them, each its own redis-server process.
 */
export interface SentinelGroup {
  name: string;
  sentinelPort: number;
  /** the port of the server the Sentinel names as primary now */
  primaryPort(): Promise<number>;
  /** SENTINEL FAILOVER, then wait until the other server is primary and the old one its replica; resolves to the new primary's port */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

async function once<T>(port: number, run: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return await run(r);
  } finally {
    r.disconnect();
  }
}

const role = (port: number) => once(port, async (r) => ((await r.call('ROLE')) as unknown[])[0] as string);

export async function startSentinelGroup(dir: string, name = 'codeintel-test'): Promise<SentinelGroup> {
  const [primary, replica, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  const server = (port: number, extra: string[]) => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
    procs.push(p);
  };
  server(primary, ['--maxmemory-policy', 'noeviction']);
  await waitFor(async () => (await role(primary)) === 'master', `redis-server on ${primary}`, 10_000);
  server(replica, ['--replicaof', '127.0.0.1', String(primary), '--maxmemory-policy', 'noeviction']);
  await waitFor(async () => once(primary, async (r) => /connected_slaves:1/.test(await r.info('replication'))), 'the replica to sync', 15_000);
  // Sentinel rewrites its configuration file, so it gets one of its own
  const conf = path.join(dir, 'sentinel.conf');
  await fs.writeFile(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primary} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      '',
    ].join('\n'),
  );
  procs.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
  const primaryPort = () =>
    once(sentinelPort, async (r) => Number(((await r.call('SENTINEL', 'get-master-addr-by-name', name)) as string[])[1]));
  // the Sentinel must have found the replica before it can fail over to it
  await waitFor(async () => once(sentinelPort, async (r) => ((await r.call('SENTINEL', 'replicas', name)) as unknown[]).length === 1), 'the Sentinel to see the replica', 20_000);
  return {
    name,
    sentinelPort,
    primaryPort,
    async failover() {
      const before = await primaryPort();
      const after = before === primary ? replica : primary;
      await once(sentinelPort, (r) => r.call('SENTINEL', 'FAILOVER', name));
      // settled: the Sentinel names the new primary, and has made the old one its replica (writes to it would be lost)
      await waitFor(async () => (await primaryPort()) === after && (await role(after)) === 'master' && (await role(before)) === 'slave', `failover to ${after}`, 30_000);
      return after;
    },
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) return resolve();
              p.once('exit', () => resolve());
              p.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
