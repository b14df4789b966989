/**
 * Scoring of bench:quality: where a ranker put a question's target, and
 * recall@1/5/10 and MRR (cut off at 10) over groups of questions.
 */

export interface RankedHit {
  path: string;
  startLine: number;
  endLine: number;
}

export interface Target {
  path: string;
  /** 1-based line of the definition, found in the file at bench time */
  line: number;
}

/** 1-based rank of the first hit whose path is a target's and whose lines contain its definition line; null if none. */
export function rankOf(hits: readonly RankedHit[], targets: readonly Target[]): number | null {
  const i = hits.findIndex((h) => targets.some((t) => h.path === t.path && h.startLine <= t.line && t.line <= h.endLine));
  return i < 0 ? null : i + 1;
}

/** 1-based rank of the first hit in a target's file, wherever in the file (a diagnostic: "right file, wrong chunk"). */
export function fileRankOf(hits: readonly RankedHit[], targets: readonly Target[]): number | null {
  const i = hits.findIndex((h) => targets.some((t) => h.path === t.path));
  return i < 0 ? null : i + 1;
}

export interface Scores {
  questions: number;
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  mrr: number;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The scores of a group of ranks (null = not in the top 10). An empty group scores 0 with questions: 0. */
export function score(ranks: readonly (number | null)[]): Scores {
  const n = ranks.length;
  const within = (k: number) => (n ? ranks.filter((r) => r !== null && r <= k).length / n : 0);
  const mrr = n ? ranks.reduce<number>((s, r) => s + (r !== null && r <= 10 ? 1 / r : 0), 0) / n : 0;
  return { questions: n, recall_at_1: round3(within(1)), recall_at_5: round3(within(5)), recall_at_10: round3(within(10)), mrr: round3(mrr) };
}

/** Scores per value of `key`, keys sorted. */
export function scoreBy<T>(items: readonly T[], key: (item: T) => string, rank: (item: T) => number | null): Map<string, Scores> {
  const groups = new Map<string, (number | null)[]>();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(rank(item));
  }
  return new Map([...groups.keys()].sort().map((k) => [k, score(groups.get(k)!)]));
}

/** A fixed-width text table: one row per (ranker, group). */
export function formatTable(title: string, rows: { ranker: string; group: string; scores: Scores; fileRecall: number }[]): string {
  const head = ['ranker', title, 'n', 'R@1', 'R@5', 'R@10', 'MRR', 'F@10'];
  const body = rows.map((r) => [
    r.ranker,
    r.group,
    String(r.scores.questions),
    r.scores.recall_at_1.toFixed(3),
    r.scores.recall_at_5.toFixed(3),
    r.scores.recall_at_10.toFixed(3),
    r.scores.mrr.toFixed(3),
    r.fileRecall.toFixed(3),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
