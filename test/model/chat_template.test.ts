import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { applyChatTemplate, type ChatMessage } from '../../src/model/chat_template.js';
import { RadpoError } from '../../src/util/errors.js';

// Public template strings of each family (interop/fixtures/chat_templates.json); expected strings written by hand.
const T = JSON.parse(fs.readFileSync('interop/fixtures/chat_templates.json', 'utf8')) as Record<string, string>;
const sys: ChatMessage = { role: 'system', content: 'You are terse.' };
const u1: ChatMessage = { role: 'user', content: 'Hi there' };
const a1: ChatMessage = { role: 'assistant', content: 'Hello!' };
const u2: ChatMessage = { role: 'user', content: 'Thanks' };

test('ChatML', () => {
  assert.equal(applyChatTemplate(T.chatml!, [sys, u1, a1]),
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n');
  assert.equal(applyChatTemplate(T.chatml!, [u1], { addGenerationPrompt: true }), '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
});

test('Qwen2.5-style: default system prompt, tools block, tool calls (trim_blocks / lstrip_blocks)', () => {
  assert.equal(applyChatTemplate(T.qwen2!, [u1], { addGenerationPrompt: true }),
    '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
  const call: ChatMessage = { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'f', arguments: { x: 1 } } }] };
  const out = applyChatTemplate(T.qwen2!, [sys, u1, call, { role: 'tool', content: '42' }], { tools });
  assert.equal(out,
    '<|im_start|>system\nYou are terse.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
    'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
    '{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}\n</tools>\n\n' +
    'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n' +
    '<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
    '<|im_start|>user\nHi there<|im_end|>\n' +
    '<|im_start|>assistant\n<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call><|im_end|>\n' +
    '<|im_start|>user\n<tool_response>\n42\n</tool_response><|im_end|>\n');
});

test('Llama-3-style: bos_token from the variables, content trimmed', () => {
  const out = applyChatTemplate(T.llama3!, [sys, { role: 'user', content: '  Hi there \n' }], { addGenerationPrompt: true }, { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' });
  assert.equal(out,
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
});

test('Mistral-style [INST]: eos after assistant turns; roles must alternate', () => {
  const st = { bos_token: '<s>', eos_token: '</s>' };
  assert.equal(applyChatTemplate(T.mistral!, [u1, a1, u2], {}, st), '<s>[INST] Hi there [/INST]Hello!</s> [INST] Thanks [/INST]');
  assert.throws(() => applyChatTemplate(T.mistral!, [u1, u2], {}, st),
    (e: unknown) => e instanceof RadpoError && /refused the conversation: Conversation roles must alternate/.test(e.message));
});

test('Gemma-like: assistant becomes model; a system message is refused with the fix named', () => {
  const st = { bos_token: '<bos>', eos_token: '<eos>' };
  assert.equal(applyChatTemplate(T.gemma!, [u1, a1, u2], { addGenerationPrompt: true }, st),
    '<bos><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nThanks<end_of_turn>\n<start_of_turn>model\n');
  assert.throws(() => applyChatTemplate(T.gemma!, [sys, u1], {}, st),
    (e: unknown) => e instanceof RadpoError && e.code === 'input' && /does not accept a system message.*System role not supported.*--placement prompt/.test(e.message));
  // Mistral's refusal of a system turn reads differently but is recognised the same way.
  assert.throws(() => applyChatTemplate(T.mistral!, [sys, u1], {}, st), /does not accept a system message/);
});

test('continue_final_message cuts after the last message; bad input is refused', () => {
  assert.equal(applyChatTemplate(T.chatml!, [u1, { role: 'assistant', content: 'The answer is' }], { continueFinalMessage: true }),
    '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nThe answer is');
  assert.throws(() => applyChatTemplate(T.chatml!, []), /non-empty list/);
  assert.throws(() => applyChatTemplate('{% for %}', [u1]), /does not parse/);
  assert.throws(() => applyChatTemplate(T.chatml!, [u1], { continueFinalMessage: true, addGenerationPrompt: true }), /cannot both be set/);
});
