/**
 * Evaluate the regexes src/pathFilter emits for OpenSearch (Lucene) and
 * Neo4j (Java) with JavaScript's RegExp, for tests without those servers.
 * Each handles exactly the constructs the translators emit and throws on
 * anything else, so an unescaped operator or a construct whose meaning
 * differs between the dialects fails the test instead of passing by luck.
 */

/** JS `u`-mode escape for a character outside brackets. */
const jsLiteral = (ch: string) => (/[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch);
/** JS `u`-mode escape for a character inside brackets. */
const jsClassMember = (ch: string) => (/[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch);

/** Lucene operators that must never appear unescaped in what the translator emits (with flags ALL). */
const LUCENE_UNEXPECTED = new Set(['{', '}', '"', '#', '@', '&', '<', '>', '~']);

/**
 * Lucene RegExp → an equivalent JS RegExp. Lucene regexps match the whole
 * string and `.` matches any character; `\x` is x (for non-letters); groups
 * are `( )`; `[...]` / `[^...]` hold characters, `\x` escapes and ranges.
 */
export function luceneToRegExp(lucene: string): RegExp {
  const chars = Array.from(lucene);
  let js = '';
  let i = 0;
  const escaped = (): string => {
    const ch = chars[i + 1];
    if (ch === undefined) throw new Error(`lucene regexp ends in '\\': ${lucene}`);
    if (/[A-Za-z0-9]/.test(ch)) throw new Error(`lucene escape \\${ch} is a class in recent Lucene, not a literal: ${lucene}`);
    i += 2;
    return ch;
  };
  while (i < chars.length) {
    const ch = chars[i];
    if (ch === '\\') js += jsLiteral(escaped());
    else if (ch === '(') {
      js += '(?:';
      i++;
    } else if (ch === ')' || ch === '|' || ch === '?' || ch === '*' || ch === '+' || ch === '.') {
      js += ch;
      i++;
    } else if (ch === '[') {
      i++;
      js += '[';
      if (chars[i] === '^') {
        js += '^';
        i++;
      }
      let members = 0;
      while (chars[i] !== ']') {
        if (i >= chars.length) throw new Error(`unclosed class in lucene regexp: ${lucene}`);
        if (chars[i] === '-' && members > 0) {
          js += '-';
          i++;
        } else {
          js += jsClassMember(chars[i] === '\\' ? escaped() : chars[i++]);
          members++;
        }
      }
      i++;
      js += ']';
    } else if (LUCENE_UNEXPECTED.has(ch) || ch === ']') {
      throw new Error(`unescaped Lucene operator '${ch}' in ${lucene}`);
    } else {
      js += jsLiteral(ch);
      i++;
    }
  }
  return new RegExp(`^(?:${js})$`, 'su');
}

/**
 * A Java regex, full match (Cypher `=~`), as a JS RegExp. Sound because
 * the translator keeps to constructs both read alike (see
 * src/pathFilter/javaRegex.ts): a leading `(?s)`, which becomes the `s`
 * flag; `(?:`; escapes of syntax characters only, which JS's `u` mode
 * checks (it rejects any other escape); no `&&`, `\Q`, possessive
 * quantifiers, or nested brackets.
 */
export function javaToRegExp(java: string): RegExp {
  if (!java.startsWith('(?s)')) throw new Error(`expected a leading (?s): ${java}`);
  const body = java.slice(4);
  if (/&&|\\Q|\\E|[*+?}]\+|\(\?(?!:)/.test(body)) throw new Error(`construct that Java and JS read differently in ${java}`);
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === '[' && inClass) throw new Error(`nested brackets (a Java union) in ${java}`);
    else if (body[i] === '[') inClass = true;
    else if (body[i] === ']') inClass = false;
  }
  return new RegExp(`^(?:${body})$`, 'su');
}
