// Conversation helpers: HH-RLHF "\n\nHuman: / \n\nAssistant:" strings <-> messages, and prompt extraction from
// implicit-prompt pairs (common prefix, as TRL's extract_prompt). Not a chat template renderer.

import type { Message } from './types.js';

const HH_TURN = /\n\n(Human|Assistant): ?/g;

export function looksLikeHh(s: unknown): boolean {
  return typeof s === 'string' && (s.startsWith('\n\nHuman:') || s.startsWith('Human:'));
}

/** Splits an HH-RLHF dialogue string into user/assistant messages (content without the speaker tag). */
export function parseHh(s: string): Message[] {
  const text = s.startsWith('Human:') ? `\n\n${s}` : s;
  const out: Message[] = [];
  const marks: { role: string; start: number; end: number }[] = [];
  HH_TURN.lastIndex = 0;
  for (let m = HH_TURN.exec(text); m; m = HH_TURN.exec(text)) {
    marks.push({ role: m[1] === 'Human' ? 'user' : 'assistant', start: m.index, end: m.index + m[0].length });
  }
  for (let i = 0; i < marks.length; i++) {
    const mk = marks[i] as { role: string; start: number; end: number };
    const next = marks[i + 1]?.start ?? text.length;
    out.push({ role: mk.role, content: text.slice(mk.end, next) });
  }
  return out;
}

export function sameMessage(a: Message, b: Message): boolean {
  return a.role === b.role && a.content === b.content;
}

/**
 * Splits an implicit-prompt pair into prompt and completions: the longest common message prefix, but never all of
 * a side (the completion keeps at least its last message), like TRL's extract_prompt on conversational data.
 */
export function splitMessages(chosen: Message[], rejected: Message[]): { prompt: Message[]; chosen: Message[]; rejected: Message[] } {
  let i = 0;
  const max = Math.min(chosen.length, rejected.length) - 1;
  while (i < max && sameMessage(chosen[i] as Message, rejected[i] as Message)) i++;
  return { prompt: chosen.slice(0, i), chosen: chosen.slice(i), rejected: rejected.slice(i) };
}

/** TRL's extract_prompt for plain strings: common character prefix, moving a separating space to the completions. */
export function splitText(chosen: string, rejected: string): { prompt: string; chosen: string; rejected: string } {
  let idx = 0;
  const n = Math.min(chosen.length, rejected.length);
  while (idx < n && chosen[idx] === rejected[idx]) idx++;
  if (idx < n && idx > 0 && chosen[idx - 1] === ' ') idx--;
  return { prompt: chosen.slice(0, idx), chosen: chosen.slice(idx), rejected: rejected.slice(idx) };
}
