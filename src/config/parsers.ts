import path from 'node:path';
import { z } from 'zod';

/**
 * Parsers for one environment value each: an optional string in, a typed value out.
 * Empty counts as unset, so an unset variable gets its default; a bad value adds
 * one issue (the message says what is expected) and the section holding it fails.
 */

const unset = (v: string | undefined): v is undefined | '' => v === undefined || v === '';

const expected = (ctx: z.RefinementCtx, message: string) => {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  return z.NEVER;
};

const envValue = () => z.string().optional();

export const bool = (fallback: boolean) =>
  envValue().transform((v, ctx) => {
    if (unset(v)) return fallback;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    return expected(ctx, 'expected a boolean (1/0, true/false, yes/no, on/off)');
  });

export const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  envValue().transform((v, ctx) => {
    if (unset(v)) return fallback;
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) return expected(ctx, `expected an integer between ${min} and ${max}`);
    return n;
  });

export const num = (fallback: number, min: number, max = Number.MAX_VALUE) =>
  envValue().transform((v, ctx) => {
    if (unset(v)) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) return expected(ctx, `expected a number between ${min} and ${max}`);
    return n;
  });

/** Free text with a default. */
export const text = (fallback: string) => envValue().transform((v) => (unset(v) ? fallback : v));

/** Free text without a default: undefined when unset. */
export const optionalText = () => envValue().transform((v) => (unset(v) ? undefined : v));

export const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  envValue().transform((v, ctx) => {
    if (unset(v)) return fallback;
    if ((values as readonly string[]).includes(v)) return v as T;
    return expected(ctx, `expected one of ${values.join(', ')}`);
  });

/** An http(s) URL without trailing slashes, or undefined when unset. */
export const httpUrl = () =>
  envValue().transform((v, ctx) => {
    if (unset(v)) return undefined;
    if (!hasProtocol(v, ['http:', 'https:'])) return expected(ctx, 'expected an http(s) URL');
    return v.replace(/\/+$/, '');
  });

export const redisUrl = (fallback: string) =>
  envValue().transform((v, ctx) => {
    const value = unset(v) ? fallback : v;
    if (!hasProtocol(value, ['redis:', 'rediss:'])) return expected(ctx, 'expected a redis:// or rediss:// URL');
    return value;
  });

/** A Neo4j connection URI (any driver scheme), or undefined when unset. */
export const boltUri = () =>
  envValue().transform((v, ctx) => {
    if (unset(v)) return undefined;
    if (!/^(neo4j|neo4j\+s|neo4j\+ssc|bolt|bolt\+s|bolt\+ssc):\/\//.test(v)) return expected(ctx, 'expected a neo4j:// or bolt:// URI');
    return v;
  });

/** A Redis key prefix: safe inside BullMQ's "prefix:queue:id" keys. */
export const keyPrefix = (fallback: string) =>
  envValue().transform((v, ctx) => {
    const value = unset(v) ? fallback : v;
    if (!/^[A-Za-z0-9_.-]+$/.test(value)) return expected(ctx, 'expected letters, digits, "_", "." or "-"');
    return value;
  });

/** A directory, resolved against the working directory. */
export const directory = (fallback: string) => envValue().transform((v) => path.resolve(unset(v) ? fallback : v));

/** The trimmed, non-empty items of a separated list. */
export const splitList = (v: string | undefined, separator: string) =>
  (v ?? '')
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);

export const list = (separator: string) => envValue().transform((v) => splitList(v, separator));

/** A list of absolute paths, normalised; each relative entry is one issue. */
export const absolutePaths = (separator: string) =>
  envValue().transform((v, ctx) => {
    const paths = splitList(v, separator);
    const relative = paths.filter((p) => !path.isAbsolute(p));
    for (const p of relative) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${p}" is not an absolute path` });
    return relative.length ? z.NEVER : paths.map((p) => path.resolve(p));
  });

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** A comma-separated list of http(s) URLs (trailing slashes dropped); each bad entry is one issue. */
export const httpUrlList = () =>
  envValue().transform((v, ctx) => {
    const urls = splitList(v, ',');
    const bad = urls.filter((u) => !hasProtocol(u, ['http:', 'https:']));
    if (bad.length) return expected(ctx, `expected comma-separated http(s) URLs; not one: ${bad.join(', ')}`);
    return urls.map((u) => u.replace(/\/+$/, ''));
  });

/** A comma-separated list of host:port addresses (IPv6 in brackets: [::1]:26379); each bad entry is one issue. */
export const hostPortList = () =>
  envValue().transform((v, ctx) => {
    const entries = splitList(v, ',');
    const parsed = entries.map((e) => {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(e);
      const port = m ? Number(m[2]) : 0;
      return m && port >= 1 && port <= 65535 ? { host: m[1].replace(/^\[|\]$/g, ''), port } : undefined;
    });
    const bad = entries.filter((_, i) => !parsed[i]);
    if (bad.length) return expected(ctx, `expected comma-separated host:port addresses; not one: ${bad.join(', ')}`);
    return parsed as { host: string; port: number }[];
  });
