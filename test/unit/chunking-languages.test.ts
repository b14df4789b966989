import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import { createChunker, type ChunkerOptions } from '../../src/chunking/index.js';
import { detectLanguage } from '../../src/repo/language.js';

/**
 * One fixture per language with known definitions, chunked at a budget small enough that
 * containers split into members: exact boundaries, qualified names, and each doc comment on
 * the chunk of its own definition only.
 */

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'languages');
const opts: ChunkerOptions = { maxTokens: 60, windowLines: 60, overlapLines: 10 };
const read = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const chunkFixture = async (name: string) => createChunker(opts).chunkFileDetailed(name, read(name), detectLanguage(name));
const summary = (chunks: Chunk[]) => chunks.map((c) => [c.startLine, c.endLine, c.symbols]);

/** Every chunk that names `symbol` carries `doc`; no chunk without it does. */
function expectDocOnlyOn(chunks: Chunk[], symbol: string, doc: string) {
  const owners = chunks.filter((c) => c.symbols.includes(symbol));
  expect(owners.length, `no chunk names ${symbol}`).toBeGreaterThan(0);
  for (const c of owners) expect(c.doc, `doc of ${symbol}`).toContain(doc);
  for (const c of chunks.filter((x) => !x.symbols.includes(symbol))) expect(c.doc, `${symbol}'s doc leaked to ${c.symbols.join(',')}`).not.toContain(doc);
}

interface Case {
  file: string;
  language: string;
  chunks: [number, number, string[]][];
  docs: [symbol: string, doc: string][];
  undocumented?: string[];
}

const CASES: Case[] = [
  {
    file: 'command.go',
    language: 'go',
    chunks: [
      [1, 9, ['ErrNoRunner', 'MaxDepth']],
      [11, 21, ['Command', 'Runner', 'Runner.Run']],
      [23, 29, ['Command.ExecuteC']],
      [31, 38, ['Command.AddCommand', 'New']],
    ],
    docs: [['Command.ExecuteC', 'ExecuteC runs the command and returns the one that ran.'], ['Command', 'Command is one verb'], ['New', 'New makes a command named use.']],
  },
  {
    file: 'value.rs',
    language: 'rust',
    chunks: [
      [1, 11, ['Value']],
      [13, 20, ['Value::pointer']],
      [22, 31, ['Value::is_null', 'Value::fmt']],
      [33, 43, ['ToValue', 'ToValue::to_value', 'array', 'MAX_DEPTH']],
    ],
    docs: [['Value', 'A JSON value.'], ['Value', 'A tiny JSON value.'], ['Value::pointer', 'Looks up a value by a JSON pointer'], ['array', 'Builds an array value.']],
  },
  {
    file: 'Gson.java',
    language: 'java',
    chunks: [
      [1, 12, ['Gson', 'Gson.DEFAULT_INDENT']],
      [14, 26, ['Gson.Gson', 'Gson.toJson']],
      [28, 39, ['Gson.Style', 'Gson.Style.COMPACT', 'Gson.Style.PRETTY', 'JsonValue', 'JsonValue.trimmed', 'Adapter', 'Adapter.read']],
    ],
    docs: [['Gson', 'Converts objects to JSON.'], ['Gson.toJson', 'Serializes an object.'], ['JsonValue', 'A value read back from JSON.']],
  },
  {
    file: 'buffer.c',
    language: 'c',
    chunks: [
      [1, 7, ['BUF_MAX', 'MIN']],
      [9, 20, ['buffer', 'buffer_new']],
      [22, 28, ['buffer_push']], // too big: cut between statements, the `if` alone still over budget is windowed
      [28, 30, ['buffer_push']],
      [31, 33, ['buffer_push']],
      [35, 37, ['buffer_free', 'color']],
    ],
    docs: [['MIN', 'Smaller of two values.'], ['buffer', 'A growable byte buffer.'], ['buffer_push', 'Appends one byte, growing when full.']],
  },
  {
    file: 'format.cpp',
    language: 'cpp',
    chunks: [
      [1, 13, ['basic_buffer', 'basic_buffer::push_back']],
      [15, 21, ['basic_buffer::size', 'basic_buffer::grow']],
      [23, 31, ['basic_buffer::grow', 'format_spec']],
      [33, 36, ['format']],
    ],
    docs: [['basic_buffer::push_back', 'Appends one value.'], ['format', 'Formats a string.']],
  },
  {
    file: 'JsonConvert.cs',
    language: 'csharp',
    chunks: [
      [1, 1, []],
      [3, 10, ['JsonConvert', 'JsonConvert.True']],
      [10, 11, ['JsonConvert', 'JsonConvert.True']],
      [13, 19, ['JsonConvert.SerializeObject']],
      [19, 21, ['JsonConvert.SerializeObject']],
      [22, 23, ['JsonConvert.SerializeObject']],
      [25, 33, ['JsonConvert.MaxDepth', 'Formatting']],
      [35, 39, ['IJsonLineInfo', 'IJsonLineInfo.HasLineInfo']],
    ],
    docs: [['JsonConvert.SerializeObject', 'Serializes the object to a JSON string.'], ['Formatting', 'How to format output.']],
  },
  {
    file: 'base.rb',
    language: 'ruby',
    chunks: [
      [1, 9, ['Sinatra', 'Sinatra::Base', 'Sinatra::Base#routes', 'Sinatra::Base::DEFAULT_PORT']],
      [11, 21, ['Sinatra::Base.get', 'Sinatra::Base#call']],
      [23, 35, ['Sinatra::Base#route', 'Sinatra::Helpers', 'Sinatra::Helpers#status']],
    ],
    docs: [['Sinatra::Base', 'The base class of every application.'], ['Sinatra::Base.get', 'Defines a GET route.'], ['Sinatra::Helpers', 'Helpers mixed into every app.']],
  },
  {
    file: 'Client.php',
    language: 'php',
    chunks: [
      [1, 11, ['Client', 'Client::MAJOR_VERSION']],
      [13, 18, ['Client::send']], // too big: cut between its two statements
      [19, 20, ['Client::send']],
      [22, 34, ['Client::prepareDefaults', 'describe_type']],
      [36, 39, ['ClientInterface', 'ClientInterface::send']],
    ],
    docs: [['Client', 'The HTTP client.'], ['Client::send', 'Sends a request.'], ['describe_type', 'Describes a value for debugging.']],
  },
  {
    file: 'response.js',
    language: 'javascript',
    chunks: [
      [1, 7, []],
      [9, 18, ['res.status', 'wetag']],
      [20, 31, ['res.ip', 'Router.route', 'toJson']],
      [33, 39, ['helpers.escape', 'helpers.trim']],
      [41, 46, ['Queue', 'Queue.clean']],
    ],
    docs: [['res.status', 'Set the HTTP status `code`.'], ['res.ip', 'The remote address.'], ['helpers.escape', 'Escapes HTML.'], ['Queue.clean', 'Removes old jobs.']],
  },
  {
    file: 'queue.ts',
    language: 'typescript',
    chunks: [
      [1, 6, ['QueueOptions']],
      [8, 14, ['Queue', 'Queue.constructor']],
      [16, 26, ['Queue.clean', 'Queue.pause']],
      [28, 31, ['createQueue', 'JobState']],
    ],
    docs: [['Queue', 'A named queue of jobs.'], ['Queue.clean', 'Removes jobs older than `grace` ms.'], ['createQueue', 'Makes a queue with default options.']],
  },
  {
    file: 'account.py',
    language: 'python',
    chunks: [
      [1, 10, ['RATE', 'Account', 'Account.__init__']],
      [12, 17, ['Account.deposit']],
      [20, 22, ['interest']],
    ],
    docs: [['Account', 'An account with a balance.'], ['Account.deposit', 'Adds money and returns the new balance.'], ['interest', 'Interest for one year.']],
  },
];

describe.each(CASES)('$language fixture ($file)', ({ file, language, chunks, docs }) => {
  it('is detected, parsed and cut at its definitions', async () => {
    const result = await chunkFixture(file);
    expect(detectLanguage(file)).toBe(language);
    expect(result.strategy).toBe('ast');
    expect(summary(result.chunks)).toEqual(chunks);
  });

  it.each(docs)('carries the doc of %s on its own chunks only', async (symbol, doc) => {
    expectDocOnlyOn((await chunkFixture(file)).chunks, symbol, doc);
  });

  it.each(docs)('keeps the doc of %s in the text of its first chunk as well', async (symbol, doc) => {
    const first = (await chunkFixture(file)).chunks.find((c) => c.symbols.includes(symbol))!;
    expect(first.text).toContain(doc);
  });
});

describe('markdown', () => {
  it('is cut by heading section, named by the heading path', async () => {
    const text = read('guide.md');
    const chunks = (await createChunker({ maxTokens: 30, windowLines: 60, overlapLines: 10 }).chunkFileDetailed('guide.md', text, 'markdown')).chunks;
    expect(summary(chunks)).toEqual([
      [1, 7, ['Guide', 'Guide > Workers']], // two small sections merged
      [9, 16, ['Guide > Workers > Pausing']], // the `#` inside the fence starts no section
      [18, 20, ['Guide > Answers']],
    ]);
  });

  it('merges small sections up to the budget', async () => {
    const chunks = (await createChunker(opts).chunkFileDetailed('guide.md', read('guide.md'), 'markdown')).chunks;
    expect(summary(chunks)).toEqual([[1, 20, ['Guide', 'Guide > Workers', 'Guide > Workers > Pausing', 'Guide > Answers']]]);
  });
});

describe('files without a grammar', () => {
  it.each([
    ['config.yaml', 'yaml', 'a: 1\nb:\n  - 2\n'],
    ['data.json', 'json', '{\n  "a": 1\n}\n'],
    ['notes.txt', 'text', 'hello\nworld\n'],
  ])('%s gets line windows', async (name, language, text) => {
    const result = await createChunker(opts).chunkFileDetailed(name, text, language);
    expect(result.strategy).toBe('lines');
    expect(summary(result.chunks)).toEqual([[1, text.trimEnd().split('\n').length, []]]);
  });
});

describe('a function too big for one chunk', () => {
  const go = [
    'package p',
    '',
    '// Run does three things.',
    'func Run() {',
    '\tfirst := compute("the first of three fairly long steps")',
    '\tsecond := compute("the second of three fairly long steps")',
    '\tthird := compute("the third of three fairly long steps")',
    '\tuse(first, second, third)',
    '}',
    '',
    'func small() {}',
  ].join('\n');

  it('is cut between its statements, every piece named after it and carrying its doc', async () => {
    const chunks = await createChunker({ maxTokens: 30, windowLines: 60, overlapLines: 10 }).chunkFile('run.go', go, 'go');
    expect(summary(chunks)).toEqual([
      [1, 1, []], // the package clause does not merge into the function's pieces
      [3, 5, ['Run']], // doc and header go with the first statement
      [6, 7, ['Run']], // small statements of the same function merge
      [8, 9, ['Run']],
      [11, 11, ['small']], // and its last piece does not merge with the next definition
    ]);
    expect(chunks.filter((c) => c.symbols.includes('Run')).every((c) => c.doc === 'Run does three things.')).toBe(true);
  });
});

describe('identical chunks in one file', () => {
  it('are kept once, naming the definitions of every copy', async () => {
    const member = ['  /** The name. */', '  get name(): string {', '    return this.values.get("name") ?? "a default name that is long enough";', '  }'];
    const ts = ['class File {', '  kind = "file";', ...member, '}', '', 'class Folder {', '  kind = "folder";', ...member, '}'].join('\n');
    const chunks = await createChunker({ maxTokens: 33, windowLines: 60, overlapLines: 10 }).chunkFile('m.ts', ts, 'typescript');
    const getter = chunks.filter((c) => c.text.includes('get name()'));
    expect(getter).toHaveLength(1);
    expect(getter[0].symbols).toEqual(['File.name', 'Folder.name']);
  });
});
