import { describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors/intakeError.js';
import { validateGitUrl } from '../../src/repo/gitUrl.js';
import { isGitUrl } from '../../src/repo/intake.js';
import { validateRef } from '../../src/repo/ref.js';

const rejection = (input: string) => {
  try {
    validateGitUrl(input);
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('validateGitUrl', () => {
  it.each([
    'https://github.com/a/b.git',
    'https://github.com/a/b',
    'https://git.example.com:8443/team/project.git',
    'ssh://git@github.com/a/b.git',
    'ssh://github.com:2222/a/b.git',
    'git@github.com:a/b.git',
    'git@host:repo',
  ])('accepts %s unchanged', (url) => {
    expect(validateGitUrl(url)).toBe(url);
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned', /whitespace|ext::/],
    ['ext::sh', /transport helpers/],
    ['fd::17', /transport helpers/],
    ['file:///etc', /file:\/\//],
    ['FILE:///etc', /file:\/\//],
    ['http://github.com/a/b.git', /plain http/],
    ['-oProxyCommand=touch /tmp/x', /whitespace|start with "-"/],
    ['-oProxyCommand=id', /start with "-"/],
    ['--upload-pack=touch /tmp/x', /whitespace|start with "-"/],
    ['--upload-pack=id', /start with "-"/],
    ['https://host/repo --upload-pack=x', /whitespace/],
    ['https://host/repo?--upload-pack=x', /option/],
    ['ssh://-oProxyCommand=id/x', /option|expected/],
    ['ssh://git@-oProxyCommand=id/x', /option|expected/],
    ['git@host:-oProxyCommand=id', /option/],
    ['git@host:-x/repo', /must not start with "-"/],
    ['https://host/-u/evil', /must not start with "-"/],
    ['/abs/path', /local paths/],
    ['./relative', /local paths/],
    ['~/repo', /local paths/],
    ['https://host/a\tb', /whitespace/],
    ['https://host/a\nb', /whitespace/],
    ['https://host/a\u0000b', /control/],
    ['https://user:token@github.com/a/b.git', /credentials/],
    ['https://github.com', /expected/],
    ['https://github.com/', /missing repository path/],
    ['https:github.com/a/b', /expected/],
    ['https://host\\@evil/a', /backslash/],
    ['https://host/a/../../b', /\.\./],
    ['host:repo', /expected/],
    ['ftp://host/repo', /expected/],
    ['', /empty/],
  ])('rejects %j with a 400 IntakeError', (input, why) => {
    const err = rejection(input);
    expect(err).toBeInstanceOf(IntakeError);
    expect((err as IntakeError).reason).toBe('bad_request');
    expect((err as IntakeError).kind).toBe('invalid');
    expect((err as IntakeError).message).toMatch(why);
  });

  it('rejects absurdly long input', () => {
    expect(() => validateGitUrl('https://github.com/' + 'a'.repeat(5000))).toThrow(/longer than/);
  });
});

describe('isGitUrl', () => {
  it('treats anything with a scheme or host: prefix as a URL, so hostile ones reach validation', () => {
    for (const url of ['https://github.com/a/b.git', 'git@host:repo', 'ext::sh -c x', 'file:///etc', 'ssh://h/r']) {
      expect(isGitUrl(url)).toBe(true);
    }
  });

  it('treats paths as paths', () => {
    for (const p of ['/abs/path', 'relative/dir', './x', '/srv/repos/a:b']) expect(isGitUrl(p)).toBe(false);
  });
});

describe('validateRef', () => {
  it.each(['main', 'v1.2.3', 'feature/x-y', 'HEAD~1', 'a1b2c3d', 'release@2024'])('accepts %s', (ref) => {
    expect(validateRef(ref)).toBe(ref);
  });

  it.each(['-main', '--upload-pack=x', 'a b', 'main..dev', 'x:path', 'a;b', ''])('rejects %j', (ref) => {
    expect(() => validateRef(ref)).toThrow(IntakeError);
  });
});
