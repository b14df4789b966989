import { describe, expect, it } from 'vitest';
import { stem, termFrequencies, tokenize } from '../../src/text/codeTokenizer.js';

describe('tokenize', () => {
  it('keeps a camelCase identifier whole and adds its stemmed lowercased parts', () => {
    expect(tokenize('parseConfig')).toEqual(['parseconfig', 'pars', 'config']);
  });

  it('gives snake_case, kebab-case words and PascalCase the same tokens as camelCase', () => {
    expect(tokenize('parse_config')).toEqual(tokenize('parseConfig'));
    expect(tokenize('ParseConfig')).toEqual(tokenize('parseConfig'));
    expect(tokenize('PARSE_CONFIG')).toEqual(['parseconfig', 'pars', 'config']);
    expect(tokenize('parse-config')).toEqual(['pars', 'config']);
  });

  it('splits acronyms from the word that follows them', () => {
    expect(tokenize('HTTPServer')).toEqual(['httpserver', 'http', 'server']);
    expect(tokenize('parseJSONFile')).toEqual(['parsejsonfile', 'pars', 'json', 'file']);
  });

  it('reads a plural acronym as one word, so "URLs" meets `url`', () => {
    expect(tokenize('URLs')).toEqual(['url']);
    expect(tokenize('getURLs')).toEqual(['geturls', 'get', 'url']);
    expect(tokenize('URLsFor')).toEqual(['urlsfor', 'url', 'for']);
  });

  it('splits at digit boundaries and drops one-character parts', () => {
    expect(tokenize('base64Encode')).toEqual(['base64encode', 'base', '64', 'encod']);
    expect(tokenize('utf8')).toEqual(['utf8', 'utf']);
  });

  it('stems natural-language words so inflections meet the identifier', () => {
    expect(tokenize('retrying the failed attempts')).toEqual(tokenize('retry fail attempt'));
    expect(tokenize('splits')).toEqual(tokenize('split'));
    expect(tokenize('processing')).toEqual(['process']);
  });

  it('splits on punctuation and whitespace and emits a plain word once', () => {
    expect(tokenize('const cfg = loadConfig(path);')).toEqual(['const', 'cfg', 'loadconfig', 'load', 'config', 'path']);
  });

  it('drops stop words standing alone as English, but keeps them as parts of an identifier', () => {
    expect(tokenize('if x is the end of a list for i in range')).toEqual(['end', 'list', 'rang']);
    expect(tokenize('toString')).toEqual(['tostring', 'to', 'string']);
    expect(tokenize('isEmpty')).toEqual(['isempty', 'is', 'empti']);
  });

  it('caps tokens at 64 characters', () => {
    const long = 'a'.repeat(100);
    expect(tokenize(long)).toEqual(['a'.repeat(64)]);
  });

  it('tokenizes non-ASCII identifiers instead of dropping them, unstemmed', () => {
    expect(tokenize('größeBerechnen')).toEqual(['größeberechnen', 'größe', 'berechnen']);
  });

  it('returns nothing for text without words', () => {
    expect(tokenize('  {}();  -> ')).toEqual([]);
  });
});

describe('stem', () => {
  it('leaves short words, digits and non-ASCII words as they are', () => {
    expect(stem('run')).toBe('run');
    expect(stem('64')).toBe('64');
    expect(stem('größe')).toBe('größe');
    expect(stem('running')).toBe('run');
  });
});

describe('termFrequencies', () => {
  it('counts each token, the parts of identifiers included', () => {
    expect(termFrequencies('parseConfig(config) // config')).toEqual({
      parseconfig: 1,
      pars: 1,
      config: 3,
    });
  });

  it('is safe for tokens that are Object.prototype names', () => {
    const tf = termFrequencies('constructor constructor toString');
    expect(tf.constructor).toBe(2);
    expect(tf.tostring).toBe(1);
  });
});
