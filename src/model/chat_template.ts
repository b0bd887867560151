// Chat-template rendering as transformers' apply_chat_template does it (Jinja via @huggingface/jinja, trim_blocks and
// lstrip_blocks, special tokens as variables, raise_exception, named templates, continue_final_message). Not tokenization.

import { Template } from '@huggingface/jinja';
import { RadpoError } from '../util/errors.js';

/** One chat turn: `role` and `content` plus whatever else a template reads (tool_calls, name, ...). */
export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

/** A tokenizer's template(s): one string, or named ones ({default, tool_use, ...}) as in tokenizer_config.json lists. */
export type ChatTemplates = string | Record<string, string>;

export interface ChatTemplateOptions {
  /** Append the header that opens the assistant's turn (add_generation_prompt). Default false. */
  addGenerationPrompt?: boolean;
  /** Leave the last message open so generation continues it (continue_final_message). Default false. */
  continueFinalMessage?: boolean;
  /** Tool (function) schemas, passed to the template as `tools`. */
  tools?: unknown[];
  /** Retrieval documents, passed as `documents`. */
  documents?: unknown[];
  /** Which named template to use (chat_template=... in transformers); default: tool_use with tools, else default. */
  chatTemplate?: string;
  /** Extra template variables (chat_template_kwargs, e.g. enable_thinking). */
  kwargs?: Record<string, unknown>;
}

/** Picks the template for these options the way transformers' get_chat_template does. */
export function selectChatTemplate(templates: ChatTemplates | null, opts: Pick<ChatTemplateOptions, 'chatTemplate' | 'tools'>, source = 'tokenizer_config.json'): string {
  if (templates === null) {
    throw new RadpoError('model', 'this tokenizer has no chat template, so conversational rows cannot be rendered; use raw-text rows ({"prompt": str, "completion": str}) or add "chat_template" to tokenizer_config.json', { file: source, field: 'chat_template' });
  }
  if (typeof templates === 'string') return templates;
  const names = Object.keys(templates);
  let name = opts.chatTemplate;
  if (name === undefined) name = opts.tools !== undefined && 'tool_use' in templates ? 'tool_use' : 'default';
  const t = templates[name];
  if (t === undefined) {
    throw new RadpoError('model', `no chat template named "${name}"; this tokenizer has ${names.map((n) => `"${n}"`).join(', ')}`, { file: source, field: 'chat_template', value: name });
  }
  return t;
}

const compiled = new Map<string, Template>();

function compile(template: string): Template {
  let t = compiled.get(template);
  if (!t) {
    try { t = new Template(template); } catch (e) {
      throw new RadpoError('model', `the chat template does not parse: ${(e as Error).message}`, { field: 'chat_template', value: template });
    }
    if (compiled.size > 64) compiled.clear();
    compiled.set(template, t);
  }
  return t;
}

/**
 * Renders `messages` with `template`. `specialTokens` holds bos_token / eos_token / ... as strings (the tokenizer's
 * special_tokens_map). A template that refuses the conversation (raise_exception) becomes a RadpoError; when the
 * refusal is about a system message, the message names the fix.
 */
export function applyChatTemplate(template: string, messages: ChatMessage[], opts: ChatTemplateOptions = {}, specialTokens: Record<string, string> = {}): string {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RadpoError('input', 'a conversation must be a non-empty list of {"role", "content"} messages', { value: messages });
  }
  if (opts.continueFinalMessage && opts.addGenerationPrompt) {
    throw new RadpoError('usage', 'continue_final_message and add_generation_prompt cannot both be set');
  }
  const t = compile(template);
  const vars: Record<string, unknown> = {
    ...specialTokens,
    ...(opts.kwargs ?? {}),
    messages,
    add_generation_prompt: opts.addGenerationPrompt ?? false,
  };
  if (opts.tools !== undefined) vars.tools = opts.tools;
  if (opts.documents !== undefined) vars.documents = opts.documents;
  let out: string;
  try {
    out = t.render(vars);
  } catch (e) {
    throw refusal(t, messages, vars, (e as Error).message);
  }
  return opts.continueFinalMessage ? cutAfterFinalMessage(out, messages[messages.length - 1] as ChatMessage) : out;
}

function refusal(t: Template, messages: ChatMessage[], vars: Record<string, unknown>, msg: string): RadpoError {
  const withoutSystem = messages.filter((m) => m.role !== 'system');
  if (withoutSystem.length > 0 && withoutSystem.length < messages.length) {
    let okWithout = false;
    try { t.render({ ...vars, messages: withoutSystem }); okWithout = true; } catch { /* refused for another reason too */ }
    if (okWithout) {
      return new RadpoError('input', `this model's chat template does not accept a system message (it says: "${msg}"); put the system text into the user turn instead (e.g. --placement prompt for goal text)`, { field: 'messages', value: messages.find((m) => m.role === 'system') });
    }
  }
  return new RadpoError('input', `the chat template refused the conversation: ${msg}`, { field: 'messages', value: messages.map((m) => m.role) });
}

/** transformers' continue_final_message: cut the rendering right after the last message's content. */
function cutAfterFinalMessage(rendered: string, last: ChatMessage): string {
  let content = last.content;
  if (Array.isArray(content)) {
    content = content.filter((c) => c && typeof c === 'object' && (c as { type?: unknown }).type === 'text').map((c) => (c as { text: string }).text).join('');
  }
  if (typeof content !== 'string') throw new RadpoError('input', 'continue_final_message needs a text final message', { field: 'content', value: content });
  const stripped = content.trim();
  const loc = rendered.lastIndexOf(stripped);
  if (loc < 0) throw new RadpoError('input', 'continue_final_message: the final message does not appear in the rendered chat', { value: content });
  const lstripped = content.trimStart();
  if (rendered.slice(loc, loc + lstripped.length) === content) return rendered.slice(0, loc + lstripped.length);
  return rendered.slice(0, loc + stripped.length);
}
