import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/repo/language.js';

describe('detectLanguage', () => {
  it.each([
    ['cmd/main.go', 'go'],
    ['src/lib.rs', 'rust'],
    ['Gson.java', 'java'],
    ['buffer.c', 'c'],
    ['buffer.h', 'c'],
    ['format.hpp', 'cpp'],
    ['JsonConvert.cs', 'csharp'],
    ['base.rb', 'ruby'],
    ['Client.php', 'php'],
    ['queue.ts', 'typescript'],
    ['ui.tsx', 'tsx'],
    ['index.cjs', 'javascript'],
    ['account.py', 'python'],
    ['docs/Guide.MD', 'markdown'],
    ['Dockerfile', 'dockerfile'],
  ])('knows %s by its name', (file, language) => {
    expect(detectLanguage(file)).toBe(language);
  });

  it.each([
    ['bin/serve', '#!/usr/bin/env node\nrequire("./server");\n', 'javascript'],
    ['bin/tool', '#!/usr/bin/python3.11 -u\nimport sys\n', 'python'],
    ['script/console', '#!/usr/bin/env -S ruby -w\nputs 1\n', 'ruby'],
    ['install', '#!/bin/bash\nset -e\n', 'shell'],
    ['Rakefile.local', 'task :x do\nend\n# vim: set ft=ruby:\n', 'ruby'],
    ['SConstruct', '# -*- mode: python; coding: utf-8 -*-\nenv = 1\n', 'python'],
  ])('reads %s by its shebang or modeline', (file, content, language) => {
    expect(detectLanguage(file, content)).toBe(language);
    expect(detectLanguage(file, new TextEncoder().encode(content))).toBe(language);
  });

  it('trusts a known extension over the content', () => {
    expect(detectLanguage('run.go', '#!/usr/bin/env python\n')).toBe('go');
  });

  it('leaves unknown files as text', () => {
    expect(detectLanguage('LICENSE', 'MIT License\n')).toBe('text');
    expect(detectLanguage('notes')).toBe('text');
  });
});
