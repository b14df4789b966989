import { IntakeError } from '../errors/intakeError.js';

/**
 * Git URLs are handed to `git clone`, which understands far more than web URLs:
 * `ext::` runs commands, `file://` reads the host, a leading `-` becomes an option,
 * an ssh host of `-oProxyCommand=…` executes code. So only three literal shapes pass:
 *   https://host[:port]/path
 *   ssh://[user@]host[:port]/path
 *   user@host:path            (scp-like)
 * and every piece is matched against a strict character set rather than parsed leniently.
 */

const HOST = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])`;
const PORT = String.raw`(?::\d{1,5})?`;
const USER = String.raw`[A-Za-z0-9_][A-Za-z0-9._-]*`;
// RFC 3986 path characters minus the ones git or a shell could reinterpret.
const PATH_CHARS = String.raw`[A-Za-z0-9._~%!$&'()*+,;=:@/-]`;

const HTTPS = new RegExp(`^https://${HOST}${PORT}(/${PATH_CHARS}*)$`);
const SSH = new RegExp(`^ssh://(?:${USER}@)?${HOST}${PORT}(/${PATH_CHARS}*)$`);
const SCP = new RegExp(`^${USER}@${HOST}:(${PATH_CHARS}+)$`);

// Options git or ssh would honour if the string ever reached them as an argument.
const OPTION_LIKE = /(?:^|[/=?&:@])(?:--?(?:upload-pack|receive-pack|config|exec|template|separate-git-dir)|-o\s*proxycommand)/i;
const MAX_LENGTH = 2048;

const reject = (why: string): never => {
  throw new IntakeError('bad_request', `unsupported git URL: ${why}`);
};

/** Return `input` unchanged when it is an https or ssh git URL that is safe to clone; throw IntakeError (400) otherwise. */
export function validateGitUrl(input: string): string {
  if (typeof input !== 'string' || input.length === 0) return reject('empty');
  if (input.length > MAX_LENGTH) return reject(`longer than ${MAX_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this check rejects
  if (/[\s\x00-\x1f\x7f]/.test(input)) return reject('whitespace and control characters are not allowed');
  if (input.startsWith('-')) return reject('must not start with "-"');
  if (input.includes('\\')) return reject('backslashes are not allowed');
  if (OPTION_LIKE.test(input)) return reject('looks like it smuggles a git/ssh option');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(input)) return reject('transport helpers such as ext:: are not allowed');
  if (/^file:/i.test(input)) return reject('file:// URLs are not allowed');
  if (/^http:/i.test(input)) return reject('plain http is not allowed; use https:// or ssh');
  if (input.startsWith('/') || input.startsWith('.') || input.startsWith('~')) {
    return reject('local paths are not git URLs; only https:// and ssh URLs can be cloned');
  }
  if (/^https:\/\/[^/]*@/i.test(input)) return reject('credentials in https URLs are not accepted; use ssh or a credential helper');

  const path = HTTPS.exec(input)?.[1] ?? SSH.exec(input)?.[1] ?? SCP.exec(input)?.[1];
  if (path === undefined) return reject('expected https://host/path, ssh://[user@]host/path or user@host:path');
  const segments = path.split('/').filter(Boolean);
  if (segments.length === 0) return reject('missing repository path');
  // A segment such as "-oProxyCommand=…" can reach ssh or git as an argument.
  if (segments.some((s) => s.startsWith('-'))) return reject('path segments must not start with "-"');
  if (segments.some((s) => s === '..')) return reject('".." is not allowed in the path');
  return input;
}
