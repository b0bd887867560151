// The goal (conditioning) text of reward-augmented data, method.md §2.1: reference wording, score printing,
// multi-attribute lines, custom templates and rescaling to another scale. Not the relabeling itself (augment.ts).

import { RadpoError } from '../util/errors.js';

/** The reference header line; {min}/{max} are the goal scale's ends (1 and 10 in the paper). */
export const REFERENCE_HEADER =
  'You are an assistant that generates responses for the instruction while implicitly achieving the following target scores (on a scale of {min}-{max}, where {min} is lowest and {max} is highest):';

/** A goal: one overall score, or one score per named attribute (in display order). */
export type Goal = number | Record<string, number>;

export interface GoalFormat {
  /** Custom template. Placeholders: {score} (single goal), {scores} (one "<Label> score: <v>." line per
   *  attribute), {<attribute>} (that attribute's score), {min}, {max}. Default: the reference text. */
  template?: string;
  scale?: [number, number];        // the printed goal scale (after rescaling), default [1, 10]
}

/**
 * Prints a score as Python's f-string does after the reference's int() check: integral values without a
 * decimal point (8.0 -> "8"), others in shortest round-trip form (7.5 -> "7.5"), exponents as Python writes them.
 */
export function formatScore(x: number): string {
  if (!Number.isFinite(x)) throw new RadpoError('input', 'goal score must be finite', { value: x });
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x === 0 ? 0 : x);
  const a = Math.abs(x);
  if (a >= 1e16 || a < 1e-4) {
    // Python repr: mantissa, 'e', sign, at least two exponent digits (1e-05, 1e+16).
    const [m, e] = x.toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** "instruction_following" -> "Instruction following"; "overall" -> "Overall". */
export function attributeLabel(name: string): string {
  const s = name.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The goal text for `goal`, character for character the reference's for a single score on 1-10. */
export function goalText(goal: Goal, fmt: GoalFormat = {}): string {
  const [lo, hi] = fmt.scale ?? [1, 10];
  const lines = typeof goal === 'number'
    ? `Overall score: ${formatScore(goal)}.`
    : Object.entries(goal).map(([k, v]) => `${attributeLabel(k)} score: ${formatScore(v)}.`).join('\n');
  if (fmt.template === undefined) {
    return `${REFERENCE_HEADER.replaceAll('{min}', formatScore(lo)).replaceAll('{max}', formatScore(hi))}\n${lines}`;
  }
  return fmt.template.replace(/\{([A-Za-z_][A-Za-z0-9_-]*)\}/g, (whole, key: string) => {
    if (key === 'min') return formatScore(lo);
    if (key === 'max') return formatScore(hi);
    if (key === 'scores') return lines;
    if (key === 'score') {
      if (typeof goal !== 'number') throw new RadpoError('config', 'template uses {score} but the goal has several attributes; use {scores} or {<attribute>}', { field: 'goal_template' });
      return formatScore(goal);
    }
    if (typeof goal !== 'number' && key in goal) return formatScore(goal[key] as number);
    return whole;
  });
}

/** Parses "1-10", "0-100", "-1-1" into [lo, hi]. */
export function parseScale(s: string, field = 'scale'): [number, number] {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:-|:|,|\.\.)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(s);
  const lo = m ? Number(m[1]) : NaN; const hi = m ? Number(m[2]) : NaN;
  if (!m || !(hi > lo)) throw new RadpoError('config', 'expected a scale "LO-HI" with LO < HI, e.g. 1-10 or 0-100', { field, value: s });
  return [lo, hi];
}

/** Linear map of a score from one scale to another, rounded to `decimals` (goal rescaling study). */
export function rescale(x: number, from: [number, number], to: [number, number], decimals = 2): number {
  const y = to[0] + ((x - from[0]) * (to[1] - to[0])) / (from[1] - from[0]);
  const f = 10 ** decimals;
  return Math.round(y * f) / f;
}

export function rescaleGoal(g: Goal, from: [number, number], to: [number, number], decimals = 2): Goal {
  if (typeof g === 'number') return rescale(g, from, to, decimals);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(g)) out[k] = rescale(v, from, to, decimals);
  return out;
}
