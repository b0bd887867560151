// The record types of radpo's data layer: chat messages, normalised preference pairs, scored pairs for relabeling.
// Not a parser: containers live in read.ts / write.ts, schemas in schema.ts.

export interface Message { role: string; content: string }

/** One preference pair normalised for training: prompt and completions in conversational or plain-text form. */
export interface PreferencePair {
  prompt: Message[] | string;      // conversational prompt (may start with a system message) or raw text
  chosen: Message[] | string;      // the completion only (assistant turn(s)) or raw text
  rejected: Message[] | string;
  score_chosen?: number; score_rejected?: number;
  weight?: number;                 // optional per-pair weight column
  [extra: string]: unknown;
}

/** A raw row as read from a container (JSON object). */
export type Row = Record<string, unknown>;

/** A row together with where it came from (for error messages). */
export interface LocatedRow { row: Row; line: number; file: string; split?: string }

/** Where a row came from, for error messages and rejects files. */
export interface RowSource { file: string; line: number }

export const KNOWN_ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);

export function isMessageList(v: unknown): v is Message[] {
  return Array.isArray(v) && v.length > 0 && v.every((m) => m !== null && typeof m === 'object' && !Array.isArray(m) && 'role' in m && 'content' in m);
}
