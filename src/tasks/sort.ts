// Task "sort": sort the letters of the prompt; exact reward 10 minus inversions, minus penalties for lost or extra
// letters (1-10). Graded and local: each adjacent swap costs one point. Not multi-attribute (see spell.ts).

import { clamp, type Behaviour, type Task } from './task.js';
import type { Rng } from '../util/rng.js';

const LETTERS = 'abcdefghij';
const PREFIX = 'sort ';

export interface SortTaskOptions {
  /** Number of letters per prompt: drawn uniformly from [minLetters, maxLetters]. Defaults 5 and 7. */
  minLetters?: number;
  maxLetters?: number;
}

/** Letters of a prompt "sort dbeca" -> "dbeca"; '' when the prompt has the wrong shape. */
export function sortLetters(prompt: string): string {
  return prompt.startsWith(PREFIX) ? prompt.slice(PREFIX.length) : '';
}

/** Number of pairs i < j with s[i] > s[j]. */
export function inversions(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) for (let j = i + 1; j < s.length; j++) if (s[i]! > s[j]!) n++;
  return n;
}

/** Letters of `want` missing from `got`, and characters of `got` beyond the multiset `want` (multiset difference). */
export function multisetDiff(want: string, got: string): { missing: number; extra: number } {
  const count = new Map<string, number>();
  for (const c of want) count.set(c, (count.get(c) ?? 0) + 1);
  let extra = 0;
  for (const c of got) {
    const k = count.get(c) ?? 0;
    if (k > 0) count.set(c, k - 1); else extra++;
  }
  let missing = 0;
  for (const v of count.values()) missing += v;
  return { missing, extra };
}

export function sortReward(prompt: string, response: string): number {
  const letters = sortLetters(prompt);
  const r = response.trim();
  const { missing, extra } = multisetDiff(letters, r);
  return clamp(10 - inversions(r) - 2 * missing - 2 * extra, 1, 10);
}

function sorted(s: string): string { return [...s].sort().join(''); }

function swapAdjacent(s: string, rng: Rng, times: number): string {
  const a = [...s];
  for (let t = 0; t < times && a.length > 1; t++) {
    const i = rng.int(a.length - 1);
    const tmp = a[i]!; a[i] = a[i + 1]!; a[i + 1] = tmp;
  }
  return a.join('');
}

function bubblePasses(s: string, passes: number): string {
  const a = [...s];
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i + 1 < a.length; i++) if (a[i]! > a[i + 1]!) { const t = a[i]!; a[i] = a[i + 1]!; a[i + 1] = t; }
  }
  return a.join('');
}

function dropOne(s: string, rng: Rng): string {
  const i = rng.int(s.length);
  return s.slice(0, i) + s.slice(i + 1);
}

/** Behaviours from weakest to strongest (mean exact reward about 4, 6, 8 and 9). */
const SORT_BEHAVIOURS: Behaviour[] = [
  { name: 'shuffler', sample: (p, rng) => { const s = rng.shuffle([...sortLetters(p)]).join(''); return rng.next() < 0.2 ? dropOne(s, rng) : s; } },
  { name: 'one-pass', sample: (p, rng) => swapAdjacent(bubblePasses(sortLetters(p), 1), rng, 1 + rng.int(2)) },
  { name: 'two-pass', sample: (p, rng) => swapAdjacent(bubblePasses(sortLetters(p), 2), rng, 1 + rng.int(2)) },
  { name: 'sorter', sample: (p, rng) => swapAdjacent(sorted(sortLetters(p)), rng, 1 + rng.int(3)) },
];

export function makeSortTask(opts: SortTaskOptions = {}): Task {
  const lo = opts.minLetters ?? 5, hi = opts.maxLetters ?? 7;
  if (!(lo >= 2 && hi >= lo && hi <= LETTERS.length)) throw new Error(`sort task: bad letter counts ${lo}..${hi}`);
  return {
    name: 'sort',
    description: `Sort ${lo}-${hi} distinct letters from ${LETTERS[0]}-${LETTERS[LETTERS.length - 1]}; reward = 10 - inversions - 2 x (missing + extra letters), clamped to 1-10.`,
    alphabet: `${PREFIX}${LETTERS}`,
    maxReward: 10,
    minReward: 1,
    samplePrompt(rng) {
      const n = lo + rng.int(hi - lo + 1);
      return PREFIX + rng.shuffle([...LETTERS]).slice(0, n).join('');
    },
    reward: sortReward,
    attributes(prompt, response) {
      const letters = sortLetters(prompt);
      const r = response.trim();
      const { missing, extra } = multisetDiff(letters, r);
      const maxInv = Math.max(1, (letters.length * (letters.length - 1)) / 2);
      return {
        order: 1 + 4 * (1 - Math.min(1, inversions(r) / maxInv)),
        completeness: clamp(5 - 2 * (missing + extra), 1, 5),
      };
    },
    ideal: (prompt) => sorted(sortLetters(prompt)),
    behaviours: SORT_BEHAVIOURS,
  };
}
