// Speed-ups for @huggingface/tokenizers 0.2 that change no result: a plain-Map BPE word cache instead of its LRU (every
// hit there deletes and re-inserts a Map entry) and memoised byte-level mapping of pre-tokenized pieces. Not a tokenizer.

type Any = Record<string, unknown>;

const WORD_CACHE_SIZE = 200_000;
const PIECE_CACHE_SIZE = 200_000;
const MAX_PIECE_CHARS = 64;

/** Patches the tokenizer object in place; unknown internals (another library version) are left untouched. */
export function speedUpTokenizer(hf: object): void {
  const model = (hf as Any).model as Any | null | undefined;
  const cache = model?.cache as Any | undefined;
  if (model && cache && typeof cache.get === 'function' && typeof cache.put === 'function') {
    const m = new Map<string, unknown>();
    model.cache = {
      get: (k: string) => m.get(k),
      put: (k: string, v: unknown) => { if (m.size >= WORD_CACHE_SIZE) m.clear(); m.set(k, v); },
      clear: () => m.clear(),
    };
  }
  visitPreTokenizers((hf as Any).pre_tokenizer, (p) => {
    // With use_regex=false a ByteLevel step receives one already-split piece: memoise piece -> mapped piece.
    if (!('byte_encoder' in p && 'text_encoder' in p) || p.use_regex !== false || typeof p.pre_tokenize_text !== 'function') return;
    const orig = (p.pre_tokenize_text as (t: string, o: unknown) => string[]).bind(p);
    const memo = new Map<string, string[]>();
    p.pre_tokenize_text = (text: string, options: unknown): string[] => {
      if (text.length > MAX_PIECE_CHARS) return orig(text, options);
      let r = memo.get(text);
      if (r === undefined) {
        r = orig(text, options);
        if (memo.size >= PIECE_CACHE_SIZE) memo.clear();
        memo.set(text, r);
      }
      return [...r];
    };
  });
}

function visitPreTokenizers(p: unknown, f: (p: Any) => void): void {
  if (!p || typeof p !== 'object') return;
  f(p as Any);
  const subs = (p as Any).tokenizers;
  if (Array.isArray(subs)) for (const s of subs) visitPreTokenizers(s, f);
}
