import { describe, expect, it } from 'vitest';
import { stringTable, stringTableBuilder } from '../../src/catalog/stringTable.js';
import { chunkId } from '../../src/chunking/chunk.js';

/** stringTable: the catalog's doc -> chunk id lookups and the FAISS id lists answer as an array and a Map of strings would. */
const hexIds = Array.from({ length: 5000 }, (_, i) => chunkId(`f${i % 50}.py`, `def f${i}(): pass`));

function expectSameAsArray(ids: string[], built = stringTable(ids, { lookup: true })) {
  expect(built.size).toBe(ids.length);
  for (let i = 0; i < ids.length; i++) {
    expect(built.at(i)).toBe(ids[i]);
    expect(built.indexOf(ids[i])).toBe(ids.indexOf(ids[i]));
  }
}

describe('stringTable', () => {
  it('answers at() and indexOf() as an array of the hex chunk ids does, in 16 bytes an id plus the lookup', () => {
    const table = stringTable(hexIds, { lookup: true });
    expectSameAsArray(hexIds, table);
    expect(table.indexOf('0'.repeat(32))).toBe(-1);
    expect(table.indexOf('not an id')).toBe(-1);
    expect(table.byteLength).toBeLessThanOrEqual(hexIds.length * (16 + 4) + 4 * 16384);
  });

  it('keeps other ids (and upper-case hex) as text, also when they come after hex ones', () => {
    const mixed = [...hexIds.slice(0, 100), 'chunk-7', 'ÄBC-ü', hexIds[3].toUpperCase(), ...hexIds.slice(100, 300), ''];
    expectSameAsArray(mixed);
    expectSameAsArray(['chunk-0', 'chunk-1', ...hexIds.slice(0, 10)]);
  });

  it('gives the first position of a repeated id, as indexOf does', () => {
    const repeated = [hexIds[0], hexIds[1], hexIds[0], 'x', 'x', hexIds[1]];
    expectSameAsArray(repeated);
    expect(stringTable(repeated, { lookup: true }).indexOf('x')).toBe(3);
  });

  it('grows past the expected size, and a table without lookup refuses indexOf', () => {
    const b = stringTableBuilder({ expected: 3 });
    for (const id of hexIds) b.push(id);
    const table = b.finish();
    for (let i = 0; i < hexIds.length; i += 97) expect(table.at(i)).toBe(hexIds[i]);
    expect(() => table.indexOf(hexIds[0])).toThrow(/without lookup/);
    expect(() => table.at(hexIds.length)).toThrow(RangeError);
    expect(stringTable([]).size).toBe(0);
  });
});
