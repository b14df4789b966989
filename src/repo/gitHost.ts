import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { IntakeError } from '../errors/intakeError.js';

/**
 * Which hosts a clone may reach. By default only public unicast addresses: a git URL is
 * caller input, and a clone of https://127.0.0.1:6379/ or https://169.254.169.254/ would
 * make this machine talk to its own services or the cloud metadata endpoint.
 */
export interface GitHostPolicy {
  /** Host names (exact, case-insensitive) or CIDR ranges (10.1.0.0/16, fd00::/8) that are allowed anyway. */
  allowHosts: string[];
}

/** All addresses a name resolves to (the injectable DNS step; tests pass a fake). */
export type ResolveHost = (host: string) => Promise<string[]>;

export const resolveWithDns: ResolveHost = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface CheckedGitHost {
  /** The host as written in the URL (brackets removed from IPv6 literals), lower case. */
  host: string;
  port: number;
  scheme: 'https' | 'ssh';
  /** The checked addresses the clone must connect to (empty when the host name is allow-listed). */
  addresses: string[];
}

/** Host, port and scheme of a URL that validateGitUrl accepted. */
export function gitUrlHost(url: string): { host: string; port: number; scheme: 'https' | 'ssh' } {
  if (/^(https|ssh):\/\//i.test(url)) {
    const u = new URL(url);
    const scheme = u.protocol === 'https:' ? 'https' : 'ssh';
    const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return { host, port: u.port ? Number(u.port) : scheme === 'https' ? 443 : 22, scheme };
  }
  // scp-like user@host:path (validateGitUrl allows no port and no brackets there)
  const m = /^[^@]+@([^:]+):/.exec(url);
  if (!m) throw new IntakeError('bad_request', `unsupported git URL: cannot find its host`);
  return { host: m[1].toLowerCase(), port: 22, scheme: 'ssh' };
}

function parseAllowList(entries: string[]): { names: Set<string>; ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] } {
  const names = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry.includes('/')) ranges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.process(entry);
      ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
    } else names.add(entry);
  }
  return { names, ranges };
}

/** Throws when an allow-list entry is neither a host name, an address nor a CIDR range (a config error). */
export function validateAllowList(entries: string[]): void {
  parseAllowList(entries);
}

/**
 * Refuse a git URL whose host is, or resolves to, a loopback, link-local, private,
 * unique-local or otherwise non-public address — every address is checked, since git may
 * use any of them — unless the allow-list names it. Runs before any connection is made.
 */
export async function checkGitHost(url: string, policy: GitHostPolicy, resolve: ResolveHost = resolveWithDns): Promise<CheckedGitHost> {
  const { host, port, scheme } = gitUrlHost(url);
  const allow = parseAllowList(policy.allowHosts);
  if (allow.names.has(host)) return { host, port, scheme, addresses: [] };

  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new IntakeError('unprocessable', `cannot resolve the git host ${host}`);
    }
    if (!addresses.length) throw new IntakeError('unprocessable', `the git host ${host} has no addresses`);
  }
  for (const address of addresses) {
    // ::ffff:127.0.0.1 is 127.0.0.1
    const addr = ipaddr.process(address);
    const allowed = allow.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
    const range = addr.range();
    if (!allowed && range !== 'unicast') {
      const shown = host === address ? host : `${host} (${address})`;
      throw new IntakeError(
        'forbidden',
        `the git host ${shown} is a ${range} address; clones may reach only public hosts unless GIT_ALLOWED_HOSTS names it`,
      );
    }
  }
  return { host, port, scheme, addresses };
}
