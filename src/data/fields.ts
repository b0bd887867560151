// Dotted-path field access (`metadata.score_chosen`, `fine_grain_score_chosen.0`) and the --field-map parser.
// Not a query language: no wildcards or filters.

import { RadpoError } from '../util/errors.js';
import type { Row } from './types.js';

export function getPath(row: Row, dotted: string): unknown {
  if (dotted in row) return row[dotted];
  let cur: unknown = row;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(part)] : (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Parses ["score_chosen=metadata.score_chosen", ...] (or one comma-separated string) into a map. */
export function parseFieldMap(spec: string[] | string | Record<string, string> | undefined): Record<string, string> {
  if (spec === undefined) return {};
  if (!Array.isArray(spec) && typeof spec === 'object') return { ...spec };
  const parts = Array.isArray(spec) ? spec : spec.split(',');
  const out: Record<string, string> = {};
  for (const p of parts) {
    const m = /^\s*([A-Za-z_][\w.-]*)\s*=\s*([^=\s][^=]*?)\s*$/.exec(p);
    if (!m) throw new RadpoError('config', 'expected NAME=PATH, e.g. score_chosen=metadata.score_chosen', { field: 'field_map', value: p });
    out[m[1] as string] = m[2] as string;
  }
  return out;
}
