import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { int, list } from './parsers.js';

/** Which files of a repo are read, and the limits of git clones. */
export const intakeSection = z
  .object({
    MAX_FILE_BYTES: int(1_048_576, 1),
    MAX_LINE_CHARS: int(1000, 80),
    GIT_CLONE_DEPTH: int(1, 1),
    GIT_CLONE_MAX_MB: int(512, 1),
    GIT_CLONE_TIMEOUT_S: int(300, 1),
    /** host names, addresses or CIDR ranges a clone may reach although they are not public (in-house git hosts) */
    GIT_ALLOWED_HOSTS: list(',').refine((entries) => entries.every(isHostOrRange), {
      message: 'each entry must be a host name, an IP address or a CIDR range such as 10.0.0.0/8',
    }),
  })
  .transform((e) => ({
    intake: {
      maxFileBytes: e.MAX_FILE_BYTES,
      maxLineChars: e.MAX_LINE_CHARS,
      cloneDepth: e.GIT_CLONE_DEPTH,
      cloneMaxBytes: e.GIT_CLONE_MAX_MB * 1024 * 1024,
      cloneTimeoutMs: e.GIT_CLONE_TIMEOUT_S * 1000,
      gitHosts: { allowHosts: e.GIT_ALLOWED_HOSTS },
    },
  }));

function isHostOrRange(entry: string): boolean {
  if (entry.includes('/')) return ipaddr.isValidCIDR(entry);
  return ipaddr.isValid(entry) || /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(entry);
}
