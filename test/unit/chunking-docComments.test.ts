import { describe, expect, it } from 'vitest';
import { docText } from '../../src/chunking/docComments.js';

describe('docText', () => {
  it.each([
    ['/**\n * Sends a request.\n *\n * @param r the request\n */', 'Sends a request.\n\n@param r the request'],
    ['/// Looks up a value.\n/// Returns None when absent.', 'Looks up a value.\nReturns None when absent.'],
    ['//! A tiny JSON value.', 'A tiny JSON value.'],
    ['// ExecuteC runs the command.', 'ExecuteC runs the command.'],
    ['# Defines a GET route.\n# Returns the route.', 'Defines a GET route.\nReturns the route.'],
    ['"""Adds money.\n\n    Returns the new balance.\n    """', 'Adds money.\n\nReturns the new balance.'],
    ["r'''Raw docstring.'''", 'Raw docstring.'],
  ])('strips the markers of %j', (raw, words) => {
    expect(docText(raw)).toBe(words);
  });

  it('keeps the words of C# XML doc comments, not the tags', () => {
    const raw = '/// <summary>\n/// Writes the JSON of <see cref="JsonWriter"/>.\n/// </summary>\n/// <param name="writer">The writer.</param>';
    expect(docText(raw)).toBe('Writes the JSON of JsonWriter.\nwriter: The writer.');
  });
});
