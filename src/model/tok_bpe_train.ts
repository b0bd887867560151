// Byte-level BPE merge training (GPT-2 scheme): pre-tokenize, map bytes to printable characters, then repeatedly
// merge the most frequent adjacent pair. Not an encoder: encoding is done by @huggingface/tokenizers from the result.

/** GPT-2's pre-tokenizer pattern (tokenizers' ByteLevel use_regex=true). */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's bytes_to_unicode: byte b -> a printable character (the 256-symbol alphabet of byte-level BPE). */
export function byteToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const out: string[] = new Array(256);
  bs.forEach((b, i) => { out[b] = String.fromCodePoint(cs[i] as number); });
  return out;
}

export interface BpeTrainResult {
  /** Token strings in id order after the 256 alphabet symbols: alphabet first, then one per merge. */
  tokens: string[];
  merges: [string, string][];
}

/**
 * Learns up to `numMerges` merges from `texts` (pieces containing any of `exclude`, e.g. special tokens, are split
 * around them first). Ties between equally frequent pairs go to the pair of smaller ids, so training is deterministic.
 * Pairs seen fewer than `minFrequency` times are never merged.
 */
export function trainByteLevelBpe(texts: string[], numMerges: number, minFrequency = 2, exclude: string[] = []): BpeTrainResult {
  const alphabet = byteToUnicode();
  const tokens = [...alphabet];
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  const splitter = exclude.length ? new RegExp(exclude.map(escapeRegExp).join('|'), 'g') : null;
  for (const text of texts) {
    for (const part of splitter ? text.split(splitter) : [text]) {
      for (const m of part.matchAll(GPT2_PATTERN)) {
        const w = Array.from(enc.encode(m[0]), (b) => alphabet[b]).join('');
        counts.set(w, (counts.get(w) ?? 0) + 1);
      }
    }
  }
  const idOf = new Map(alphabet.map((c, i) => [c, i]));
  const words: { sym: number[]; n: number }[] = [...counts].map(([w, n]) => ({ sym: Array.from(w, (c) => idOf.get(c) as number), n }));

  const K = 1 << 21; // pair key = a * K + b; ids stay below K
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap();
  const addWord = (wi: number, sign: 1 | -1, touched: Set<number>): void => {
    const { sym, n } = words[wi] as { sym: number[]; n: number };
    for (let i = 0; i + 1 < sym.length; i++) {
      const key = (sym[i] as number) * K + (sym[i + 1] as number);
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * n);
      if (sign > 0) {
        let s = pairWords.get(key);
        if (!s) pairWords.set(key, (s = new Set()));
        s.add(wi);
      }
      touched.add(key);
    }
  };
  const init = new Set<number>();
  words.forEach((_, wi) => addWord(wi, 1, init));
  for (const key of init) heap.push(pairCount.get(key) as number, key);

  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    const top = heap.pop();
    if (!top) break;
    const [count, key] = top;
    if (pairCount.get(key) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const a = Math.floor(key / K);
    const b = key % K;
    const id = tokens.length;
    tokens.push((tokens[a] as string) + (tokens[b] as string));
    merges.push([tokens[a] as string, tokens[b] as string]);
    const touched = new Set<number>();
    for (const wi of pairWords.get(key) ?? []) {
      addWord(wi, -1, touched);
      const w = words[wi] as { sym: number[]; n: number };
      const out: number[] = [];
      for (let i = 0; i < w.sym.length; i++) {
        if (i + 1 < w.sym.length && w.sym[i] === a && w.sym[i + 1] === b) { out.push(id); i++; } else out.push(w.sym[i] as number);
      }
      w.sym = out;
      addWord(wi, 1, touched);
    }
    pairWords.delete(key);
    for (const t of touched) {
      const c = pairCount.get(t) as number;
      if (c > 0) heap.push(c, t);
      else pairCount.delete(t);
    }
  }
  return { tokens, merges };
}

/** Max-heap of (count, key): larger count first, then smaller key. Entries may be stale; callers re-check. */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  private before(i: number, j: number): boolean {
    const ci = this.c[i] as number, cj = this.c[j] as number;
    return ci > cj || (ci === cj && (this.k[i] as number) < (this.k[j] as number));
  }
  private swap(i: number, j: number): void {
    [this.c[i], this.c[j]] = [this.c[j] as number, this.c[i] as number];
    [this.k[i], this.k[j]] = [this.k[j] as number, this.k[i] as number];
  }
  push(count: number, key: number): void {
    this.c.push(count); this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p); i = p;
    }
  }
  pop(): [number, number] | undefined {
    if (this.c.length === 0) return undefined;
    const top: [number, number] = [this.c[0] as number, this.k[0] as number];
    const lastC = this.c.pop() as number, lastK = this.k.pop() as number;
    if (this.c.length > 0) {
      this.c[0] = lastC; this.k[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.c.length && this.before(l, m)) m = l;
        if (r < this.c.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m); i = m;
      }
    }
    return top;
  }
}

function escapeRegExp(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
