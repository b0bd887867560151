// Task "reverse" (multi-attribute): write a word backwards ("rev dog" -> "god"). Two attributes trade off:
// completeness (right letters / word length) and precision (right letters / letters written). Not the sort task.

import { clamp, type Behaviour, type Task } from './task.js';
import type { Rng } from '../util/rng.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const PREFIX = 'rev ';

export interface ReverseTaskOptions {
  minLetters?: number;   // default 3
  maxLetters?: number;   // default 7
}

/** "rev dog" -> "god"; '' when the prompt has the wrong shape. */
export function reverseTarget(prompt: string): string {
  return prompt.startsWith(PREFIX) ? [...prompt.slice(PREFIX.length)].reverse().join('') : '';
}

/** Completeness (hits / N) and precision (hits / letters written) in [0, 1]; hits = positions with the right letter. */
export function reverseFractions(prompt: string, response: string): { completeness: number; precision: number } {
  const target = reverseTarget(prompt);
  const r = response.trim();
  let h = 0;
  for (let i = 0; i < Math.min(target.length, r.length); i++) if (r[i] === target[i]) h++;
  return { completeness: target.length ? h / target.length : 0, precision: r.length ? h / r.length : 0 };
}

/** 1 + 4.5 (completeness + precision): 10 only for exactly the N right letters. */
export function reverseReward(prompt: string, response: string): number {
  const f = reverseFractions(prompt, response);
  return clamp(1 + 4.5 * (f.completeness + f.precision), 1, 10);
}

function randomLetter(rng: Rng): string { return LETTERS[rng.int(LETTERS.length)]!; }

function corrupt(s: string, pWrong: number, rng: Rng): string {
  return [...s].map((c) => (rng.next() < pWrong ? randomLetter(rng) : c)).join('');
}

function pad(s: string, extra: number, rng: Rng): string {
  let out = s;
  for (let i = 0; i < extra; i++) out += randomLetter(rng);
  return out;
}

/** From weakest to strongest. "terse" is precise but incomplete; "verbose" complete but imprecise. */
const REVERSE_BEHAVIOURS: Behaviour[] = [
  { name: 'copier', sample: (p, rng) => corrupt(p.slice(PREFIX.length), 0.2, rng) },
  { name: 'terse', sample: (p, rng) => { const t = reverseTarget(p); return corrupt(t.slice(0, 1 + rng.int(Math.max(1, t.length - 1))), 0.05, rng); } },
  { name: 'verbose', sample: (p, rng) => corrupt(pad(reverseTarget(p), 1 + rng.int(3), rng), 0.1, rng) },
  { name: 'careful', sample: (p, rng) => corrupt(pad(reverseTarget(p), rng.next() < 0.65 ? 1 : 0, rng), 0.15, rng) },
];

export function makeReverseTask(opts: ReverseTaskOptions = {}): Task {
  const lo = opts.minLetters ?? 3, hi = opts.maxLetters ?? 7;
  if (!(lo >= 1 && hi >= lo)) throw new Error(`reverse task: bad letter counts ${lo}..${hi}`);
  return {
    name: 'reverse',
    description: `Write a ${lo}-${hi} letter word backwards; reward = 1 + 4.5 (completeness + precision), 1-10; the two attributes trade off.`,
    alphabet: `${PREFIX}${LETTERS}`,
    maxReward: 10,
    minReward: 1,
    samplePrompt(rng) {
      const n = lo + rng.int(hi - lo + 1);
      return PREFIX + Array.from({ length: n }, () => randomLetter(rng)).join('');
    },
    reward: reverseReward,
    attributes(prompt, response) {
      const f = reverseFractions(prompt, response);
      return { completeness: 1 + 4 * f.completeness, precision: 1 + 4 * f.precision };
    },
    ideal: reverseTarget,
    behaviours: REVERSE_BEHAVIOURS,
  };
}
