import { describe, expect, it } from 'vitest';
import { termFrequencies, tokenize } from '../../src/text/codeTokenizer.js';

describe('tokenize', () => {
  it('keeps a camelCase identifier whole and adds its lowercased parts', () => {
    expect(tokenize('parseConfig')).toEqual(['parseconfig', 'parse', 'config']);
  });

  it('gives snake_case and PascalCase the same tokens as camelCase', () => {
    expect(tokenize('parse_config')).toEqual(tokenize('parseConfig'));
    expect(tokenize('ParseConfig')).toEqual(tokenize('parseConfig'));
    expect(tokenize('PARSE_CONFIG')).toEqual(['parseconfig', 'parse', 'config']);
  });

  it('splits acronyms from the word that follows them', () => {
    expect(tokenize('HTTPServer')).toEqual(['httpserver', 'http', 'server']);
    expect(tokenize('parseJSONFile')).toEqual(['parsejsonfile', 'parse', 'json', 'file']);
  });

  it('splits at digit boundaries and drops one-character parts', () => {
    expect(tokenize('base64Encode')).toEqual(['base64encode', 'base', '64', 'encode']);
    expect(tokenize('utf8')).toEqual(['utf8', 'utf']);
  });

  it('splits on punctuation and whitespace and emits a plain word once', () => {
    expect(tokenize('const cfg = loadConfig(path);')).toEqual([
      'const', 'cfg', 'loadconfig', 'load', 'config', 'path',
    ]);
  });

  it('drops short tokens and English stop words but keeps code keywords', () => {
    expect(tokenize('if x is the end of a list for i in range')).toEqual(['if', 'end', 'list', 'range']);
    expect(tokenize('toString')).toEqual(['tostring', 'string']);
  });

  it('caps tokens at 64 characters', () => {
    const long = 'a'.repeat(100);
    expect(tokenize(long)).toEqual(['a'.repeat(64)]);
  });

  it('tokenizes non-ASCII identifiers instead of dropping them', () => {
    expect(tokenize('größeBerechnen')).toEqual(['größeberechnen', 'größe', 'berechnen']);
  });

  it('returns nothing for text without words', () => {
    expect(tokenize('  {}();  -> ')).toEqual([]);
  });
});

describe('termFrequencies', () => {
  it('counts each token, the parts of identifiers included', () => {
    expect(termFrequencies('parseConfig(config) // config')).toEqual({
      parseconfig: 1,
      parse: 1,
      config: 3,
    });
  });

  it('is safe for tokens that are Object.prototype names', () => {
    const tf = termFrequencies('constructor constructor toString');
    expect(tf.constructor).toBe(2);
    expect(tf.tostring).toBe(1);
  });
});
