import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);

export interface NetHost {
  /** the namespace */
  ns: string;
  address: string;
  /** prefix a command with this to run it on the host: `ip netns exec <ns>` */
  launcher: string[];
}

export interface NetLab {
  hosts: Record<string, NetHost>;
  close(): Promise<void>;
}

/** Why network namespaces cannot be used here, or null when they can (root, iproute2, a kernel that allows them). */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  const probe = `ciprobe${randomBytes(3).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    await ip('netns', 'del', probe);
    return null;
  } catch (err) {
    return `ip netns add failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`;
  }
}

/**
 * Hosts of their own on this machine: one network namespace each (own loopback, own
 * address), joined by veth pairs to a bridge. The bridge also gets an address, so the test
 * process can reach the hosts; nothing else is routed, and every address is the test's own
 * (a random 10.x.y.0/24). A host's 127.0.0.1 is its own: the machine's Redis is not reachable.
 */
export async function createNetLab(names: string[]): Promise<NetLab> {
  const id = randomBytes(2).toString('hex');
  const subnet = `10.${200 + (parseInt(id.slice(0, 2), 16) % 50)}.${parseInt(id.slice(2), 16)}`;
  const bridge = `ci${id}br`;
  const hosts: Record<string, NetHost> = {};
  const created: string[] = [];
  const close = async () => {
    for (const ns of created) await ip('netns', 'del', ns).catch(() => undefined);
    await ip('link', 'del', bridge).catch(() => undefined);
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${subnet}.254/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    for (const [i, name] of names.entries()) {
      const ns = `ci${id}-${name}`;
      const outer = `ci${id}${i}`;
      const inner = `ci${id}${i}p`;
      await ip('netns', 'add', ns);
      created.push(ns);
      await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
      await ip('link', 'set', inner, 'netns', ns);
      await ip('link', 'set', outer, 'master', bridge);
      await ip('link', 'set', outer, 'up');
      const address = `${subnet}.${i + 1}`;
      await ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', inner);
      await ip('-n', ns, 'link', 'set', inner, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      hosts[name] = { ns, address, launcher: ['ip', 'netns', 'exec', ns] };
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { hosts, close };
}

/** Start a long-running command on a host and wait for a line of its output to match. */
export async function startOn(host: NetHost, cmd: string[], ready: RegExp, timeoutMs = 20_000): Promise<{ proc: ChildProcess; match: RegExpMatchArray; stop(): Promise<void> }> {
  const proc = spawn(host.launcher[0], [...host.launcher.slice(1), ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd.join(' ')} on ${host.ns} did not become ready in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd.join(' ')} on ${host.ns} exited with ${code}:\n${out}`));
    });
  });
  return {
    proc,
    match,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
