import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toSftRow } from '../../src/train/model_io.js';

// Which columns SFT trains on, and that malformed rows stop here with file and line (not later in tokenization).

const user = (c: string) => ({ role: 'user', content: c }), asst = (c: string) => ({ role: 'assistant', content: c });

test('SFT rows: prompt + completion, messages, prompt + chosen (augmented / TRL explicit-prompt pairs), chosen conversation, text', () => {
  assert.deepEqual(toSftRow({ prompt: 'p', completion: 'c' }, 'f', 1), { prompt: 'p', completion: 'c' });
  assert.deepEqual(toSftRow({ messages: [user('q'), asst('a')] }, 'f', 1), { prompt: [user('q')], completion: [asst('a')] });
  // radpo augment's rows: goal in the system turn, chosen response as the completion (reward-conditioned SFT)
  const sys = { role: 'system', content: 'Overall score: 9.' };
  assert.deepEqual(toSftRow({ prompt: [sys, user('q')], chosen: [asst('a')], rejected: [asst('b')], score_chosen: 9 }, 'f', 1),
    { prompt: [sys, user('q')], completion: [asst('a')] });
  assert.deepEqual(toSftRow({ prompt: 'q', chosen: 'a', rejected: 'b' }, 'f', 1), { prompt: 'q', completion: 'a' });
  assert.deepEqual(toSftRow({ chosen: [user('q'), asst('a')], rejected: [user('q'), asst('b')] }, 'f', 1), { prompt: [user('q')], completion: [asst('a')] });
  assert.deepEqual(toSftRow({ text: 'all of it' }, 'f', 1), { prompt: '', completion: 'all of it' });
});

test('SFT rows: malformed rows name file, line and field', () => {
  assert.throws(() => toSftRow({ chosen: [asst('a')], rejected: [asst('b')] }, 'd.jsonl', 4),
    /d\.jsonl:4, field "chosen".*no turn before the assistant reply/);
  assert.throws(() => toSftRow({ prompt: 'q', chosen: [asst('a')] }, 'd.jsonl', 5), /d\.jsonl:5, field "completion".*both be strings or both be message lists/);
  assert.throws(() => toSftRow({ prompt: 'q', completion: 7 }, 'd.jsonl', 6), /d\.jsonl:6, field "completion"/);
  assert.throws(() => toSftRow({ foo: 1 }, 'd.jsonl', 7), /d\.jsonl:7.*needs "prompt" \+ "completion", "messages", "prompt" \+ "chosen", or "text"/);
});
