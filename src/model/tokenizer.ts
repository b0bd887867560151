// A Hugging Face tokenizer loaded from a model folder (tokenizer.json + tokenizer_config.json) through
// @huggingface/tokenizers, with special tokens and chat templates resolved as transformers does. Not a trainer (see tokenizer_build.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { RadpoError } from '../util/errors.js';
import { speedUpTokenizer } from './tok_speed.js';
import { applyChatTemplate, selectChatTemplate, type ChatMessage, type ChatTemplateOptions, type ChatTemplates } from './chat_template.js';

type Json = Record<string, unknown>;

export interface EncodeOptions {
  /** Run the tokenizer's post-processor (e.g. prepend BOS). Default true, as `tokenizer(text)` in transformers. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, chat markers). Default false, as transformers. */
  skipSpecialTokens?: boolean;
}

/** The files of a tokenizer, already parsed. Only `tokenizerJson` is required. */
export interface TokenizerFiles {
  tokenizerJson: Json;
  tokenizerConfig?: Json;
  specialTokensMap?: Json;
  generationConfig?: Json;
  modelConfig?: Json;
  /** A chat template found outside tokenizer_config.json (chat_template.jinja / chat_template.json). */
  chatTemplateOverride?: ChatTemplates;
  /** Where the files came from, for error messages. */
  source?: string;
}

export class Tokenizer {
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly unkTokenId: number | null;
  /** Token ids that end generation: generation_config.json, else config.json, else the tokenizer's EOS (HF priority). */
  readonly stopTokenIds: number[];
  /** max id + 1 over the vocabulary and added tokens (len(tokenizer) in transformers when ids have no gaps). */
  readonly vocabSize: number;
  /** What encode(text, { addSpecialTokens: true }) puts before / after the text tokens (e.g. [BOS], []). */
  readonly specialPrefix: number[];
  readonly specialSuffix: number[];
  readonly chatTemplates: ChatTemplates | null;
  readonly source: string;
  readonly tokenizerJson: Json;
  readonly tokenizerConfig: Json;
  private readonly hf: HfTokenizer;
  private readonly specialIds: Set<number>;
  private readonly cleanUp: boolean;

  constructor(files: TokenizerFiles) {
    this.source = files.source ?? 'tokenizer.json';
    this.tokenizerJson = files.tokenizerJson;
    const cfg: Json = { ...(files.specialTokensMap ?? {}), ...(files.tokenizerConfig ?? {}) };
    // A template from chat_template.jinja / .json is folded in, so saving tokenizerConfig keeps it.
    if (files.chatTemplateOverride !== undefined) {
      const o = files.chatTemplateOverride;
      cfg.chat_template = typeof o === 'string' ? o : Object.entries(o).map(([name, template]) => ({ name, template }));
    }
    this.tokenizerConfig = cfg;
    try {
      // The JS tokenizer's own clean-up is disabled: transformers 5 ignores clean_up_tokenization_spaces for BPE.
      this.hf = new HfTokenizer(files.tokenizerJson, { ...cfg, clean_up_tokenization_spaces: false });
    } catch (e) {
      throw new RadpoError('model', `cannot build the tokenizer: ${(e as Error).message}`, { file: this.source });
    }
    speedUpTokenizer(this.hf);
    const model = (files.tokenizerJson.model ?? {}) as Json;
    this.cleanUp = model.type === 'WordPiece' && cfg.clean_up_tokenization_spaces === true;

    const tokenOf = (key: string): string | null => {
      const v = cfg[key];
      if (typeof v === 'string') return v;
      if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
      return null;
    };
    const idOf = (tok: string | null, key: string): number | null => {
      if (tok === null) return null;
      const id = this.hf.token_to_id(tok);
      if (id === undefined) throw new RadpoError('model', `${key} is not in the vocabulary`, { file: this.source, field: key, value: tok });
      return id;
    };
    this.bosToken = tokenOf('bos_token');
    this.eosToken = tokenOf('eos_token');
    this.padToken = tokenOf('pad_token');
    this.unkToken = tokenOf('unk_token');
    this.bosTokenId = idOf(this.bosToken, 'bos_token');
    this.eosTokenId = idOf(this.eosToken, 'eos_token');
    this.padTokenId = idOf(this.padToken, 'pad_token');
    this.unkTokenId = idOf(this.unkToken, 'unk_token');

    const ids = (v: unknown): number[] | null =>
      typeof v === 'number' ? [v] : Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;
    this.stopTokenIds = ids(files.generationConfig?.eos_token_id) ?? ids(files.modelConfig?.eos_token_id)
      ?? (this.eosTokenId !== null ? [this.eosTokenId] : []);

    let maxId = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.specialIds = new Set([...this.hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));

    // Probe the post-processor with a one-character text.
    const bare = this.hf.encode('a', { add_special_tokens: false }).ids;
    const full = this.hf.encode('a', { add_special_tokens: true }).ids;
    const at = indexOfSub(full, bare);
    this.specialPrefix = at >= 0 ? full.slice(0, at) : [];
    this.specialSuffix = at >= 0 ? full.slice(at + bare.length) : [];

    this.chatTemplates = files.chatTemplateOverride ?? parseTemplates(cfg.chat_template, this.source);
  }

  /** Reads a model or tokenizer folder: tokenizer.json (required), tokenizer_config.json, special_tokens_map.json,
   *  chat_template.jinja (+ additional_chat_templates/NAME.jinja) / chat_template.json, generation_config.json and
   *  config.json when present. */
  static loadSync(dir: string): Tokenizer {
    const file = path.join(dir, 'tokenizer.json');
    if (!fs.existsSync(file)) {
      throw new RadpoError('model', 'no tokenizer.json in the model folder (radpo reads the Hugging Face "fast" tokenizer format)', { file: dir });
    }
    const opt = (name: string): Json | undefined => {
      const f = path.join(dir, name);
      return fs.existsSync(f) ? readJson(f) : undefined;
    };
    let override: ChatTemplates | undefined;
    const jinja = path.join(dir, 'chat_template.jinja');
    const ctJson = opt('chat_template.json');
    const extraDir = path.join(dir, 'additional_chat_templates');
    if (fs.existsSync(jinja)) {
      // transformers >= 4.5x saves the default template as chat_template.jinja and named ones beside it.
      override = fs.readFileSync(jinja, 'utf8');
      if (fs.existsSync(extraDir)) {
        const named: Record<string, string> = { default: override };
        for (const f of fs.readdirSync(extraDir).sort()) if (f.endsWith('.jinja')) named[f.slice(0, -6)] = fs.readFileSync(path.join(extraDir, f), 'utf8');
        override = named;
      }
    } else if (ctJson) override = parseTemplates(ctJson.chat_template, path.join(dir, 'chat_template.json')) ?? undefined;
    return new Tokenizer({
      tokenizerJson: readJson(file),
      tokenizerConfig: opt('tokenizer_config.json'),
      specialTokensMap: opt('special_tokens_map.json'),
      generationConfig: opt('generation_config.json'),
      modelConfig: opt('config.json'),
      chatTemplateOverride: override,
      source: file,
    });
  }

  static async load(dir: string): Promise<Tokenizer> { return Tokenizer.loadSync(dir); }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    if (ids.length === 0) return ''; // the JS library refuses an empty list
    return this.hf.decode(Array.from(ids), { skip_special_tokens: opts.skipSpecialTokens ?? false, clean_up_tokenization_spaces: this.cleanUp });
  }

  /** The token strings of `text` (no special tokens added). */
  tokenize(text: string): string[] { return this.hf.tokenize(text, { add_special_tokens: false }); }

  tokenToId(token: string): number | undefined { return this.hf.token_to_id(token); }
  idToToken(id: number): string | undefined { return this.hf.id_to_token(id); }
  isSpecial(id: number): boolean { return this.specialIds.has(id); }

  /** The special tokens as the chat template sees them (transformers passes its special_tokens_map). */
  specialTokensMap(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.bosToken !== null) out.bos_token = this.bosToken;
    if (this.eosToken !== null) out.eos_token = this.eosToken;
    if (this.unkToken !== null) out.unk_token = this.unkToken;
    if (this.padToken !== null) out.pad_token = this.padToken;
    return out;
  }

  hasChatTemplate(): boolean { return this.chatTemplates !== null; }

  /** The template string applyChatTemplate would use for these options. */
  chatTemplate(opts: Pick<ChatTemplateOptions, 'chatTemplate' | 'tools'> = {}): string {
    return selectChatTemplate(this.chatTemplates, opts, this.source);
  }

  /** Renders `messages` with the model's chat template (text; tokenize with encode(text, { addSpecialTokens: false })). */
  applyChatTemplate(messages: ChatMessage[], opts: ChatTemplateOptions = {}): string {
    return applyChatTemplate(this.chatTemplate(opts), messages, opts, this.specialTokensMap());
  }
}

function parseTemplates(v: unknown, source: string): ChatTemplates | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const [i, t] of v.entries()) {
      if (!t || typeof t !== 'object' || typeof (t as Json).name !== 'string' || typeof (t as Json).template !== 'string') {
        throw new RadpoError('model', 'a named chat template must be {"name": str, "template": str}', { file: source, field: `chat_template.${i}`, value: t });
      }
      out[(t as Json).name as string] = (t as Json).template as string;
    }
    return out;
  }
  if (typeof v === 'object' && Object.values(v as Json).every((t) => typeof t === 'string')) return v as Record<string, string>;
  throw new RadpoError('model', 'chat_template must be a string or a list of {name, template}', { file: source, field: 'chat_template', value: v });
}

function readJson(file: string): Json {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new RadpoError('io', `cannot read: ${(e as Error).message}`, { file });
  }
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) {
    throw new RadpoError('model', `not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RadpoError('model', 'expected a JSON object', { file });
  return v as Json;
}

function indexOfSub(a: number[], b: number[]): number {
  outer: for (let i = 0; i + b.length <= a.length; i++) {
    for (let j = 0; j < b.length; j++) if (a[i + j] !== b[j]) continue outer;
    return i;
  }
  return -1;
}
