import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/cli/apiClient.js';
import { RepoNotIndexedError } from '../../src/errors/repoNotIndexedError.js';
import { toolErrorMessage } from '../../src/mcp/errors.js';

describe('toolErrorMessage: what an agent reads in an isError result', () => {
  it('a domain error names the tool to use next instead of the CLI and the route', () => {
    expect(toolErrorMessage(new RepoNotIndexedError('x'))).toBe(
      'repo "x" has no committed index; list_repositories gives the indexed names; index_repository indexes a new one',
    );
  });

  it('an API problem (the stdio server) reads the same as the domain error (/mcp)', () => {
    const viaHttp = new ApiError(404, {
      type: 'https://codeintel.dev/problems/repo-not-indexed',
      detail: new RepoNotIndexedError('x').message,
      repo: 'x',
    });
    expect(toolErrorMessage(viaHttp)).toBe(toolErrorMessage(new RepoNotIndexedError('x')));
  });

  it('a bad token says which setting to fix', () => {
    const denied = new ApiError(401, { type: 'https://codeintel.dev/problems/unauthorized', detail: 'the bearer token is not valid' });
    expect(toolErrorMessage(denied)).toMatch(/^the bearer token is not valid; give codeintel mcp CODEINTEL_TOKEN/);
  });

  it('other messages pass through without their route hints', () => {
    expect(toolErrorMessage(new Error('events after 3 are no longer kept; GET /v1/answers/a has the answer'))).toBe('events after 3 are no longer kept');
    expect(toolErrorMessage('plain')).toBe('plain');
  });
});
