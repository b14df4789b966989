/**
 * What a failed clone tells the caller. git's stderr is not passed on: it can quote what the
 * remote end answered (a banner of an internal service, a metadata document), so the job
 * error names a category a person can act on and the full text stays in the error's cause.
 */
const CATEGORIES: [RegExp, string][] = [
  [/could not resolve host|name or service not known|temporary failure in name resolution/i, 'the host name does not resolve'],
  [/connection refused|couldn't connect to server|failed to connect/i, 'the host refused the connection'],
  [/connection timed out|operation timed out|timed out after/i, 'the connection timed out'],
  [/(ssl|tls|certificate|gnutls|schannel)/i, 'the TLS handshake failed (certificate or protocol)'],
  [/authentication failed|could not read username|permission denied|403|401/i, 'the remote asked for credentials or refused access'],
  [/remote branch .* not found|couldn't find remote ref/i, 'the ref does not exist on the remote'],
  [/repository .*not found|not found|404/i, 'no repository at that URL'],
  [/redirect/i, 'the remote answered with a redirect, which is not followed'],
  [/empty reply|recv failure|connection reset|connection closed|unexpected disconnect|early eof|the remote end hung up/i, 'the connection was dropped'],
  [/host key verification failed/i, 'the ssh host key is not known'],
];

export function describeCloneFailure(stderr: string): string {
  for (const [pattern, why] of CATEGORIES) if (pattern.test(stderr)) return why;
  return 'git clone failed';
}
