import { describe, expect, it } from 'vitest';
import { definitionLines, shortName } from '../../src/chunking/signature.js';

describe('definitionLines', () => {
  it('finds the line that declares each symbol, skipping the doc comment that names it first', () => {
    const text = ['/**', ' * retry wraps fn: retry calls it again', ' */', 'export function retry(fn) {', '  return retry(fn);', '}'].join('\n');
    expect(definitionLines(text, ['retry'])).toEqual([{ index: 3, text: 'export function retry(fn) {', symbol: 'retry' }]);
  });

  it('uses the last part of a qualified name and matches it as a whole word', () => {
    const text = 'func (r *Router) HandleFuncs() {}\nfunc (r *Router) HandleFunc(path string) {}';
    expect(definitionLines(text, ['Router.HandleFunc'])).toEqual([{ index: 1, text: 'func (r *Router) HandleFunc(path string) {}', symbol: 'Router.HandleFunc' }]);
  });

  it('counts letters of any script, digits, _ and $ as part of an identifier, and a later occurrence on the line still matches', () => {
    const text = ['const tötal = 1;', 'let $total = 2;', 'var total_x = 3, 𝒳total = 4;', 'x = subtotal + total;'].join('\n');
    expect(definitionLines(text, ['total']).map((l) => l.index)).toEqual([3]);
    expect(definitionLines('function 𝒳() {}', ['𝒳']).map((l) => l.index)).toEqual([0]);
  });

  it('gives one line per symbol, in line order, and nothing for a chunk without symbols', () => {
    const text = 'def b():\n    pass\n\ndef a():\n    pass';
    expect(definitionLines(text, ['a', 'b']).map((l) => l.index)).toEqual([0, 3]);
    expect(definitionLines(text, [])).toEqual([]);
  });
});

describe('shortName', () => {
  it('strips the containers of a qualified name', () => {
    expect(shortName('a::b::c')).toBe('c');
    expect(shortName('Observable.pipe')).toBe('pipe');
    expect(shortName('plain')).toBe('plain');
  });
});
