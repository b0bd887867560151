import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgv, resolveOptions, type OptionTable } from '../../src/util/options.js';
import { RadpoError } from '../../src/util/errors.js';

const table = {
  beta: { type: 'number', default: 0.1, help: 'DPO beta', min: 0 },
  loss_type: { type: 'string', default: 'sigmoid', choices: ['sigmoid', 'ipo'] as const, help: 'loss' },
  skip_invalid: { type: 'boolean', default: false, help: 'skip bad rows' },
  output: { type: 'string', alias: 'o', help: 'output path' },
  max_steps: { type: 'int', default: -1, help: 'steps' },
} satisfies OptionTable;

test('flags: kebab and snake spellings, aliases, booleans, = form', () => {
  const p = parseArgv(table, ['in.jsonl', '--skip-invalid', '-o', 'out.jsonl', '--beta=0.5', '--max_steps', '3']);
  assert.deepEqual(p.positionals, ['in.jsonl']);
  const r = resolveOptions(table, p.flags);
  assert.equal(r.beta, 0.5);
  assert.equal(r.skip_invalid, true);
  assert.equal(r.output, 'out.jsonl');
  assert.equal(r.max_steps, 3);
  assert.equal(r.loss_type, 'sigmoid');
});

test('unknown keys and wrong types name the key and value', () => {
  assert.throws(() => parseArgv(table, ['--bta', '1']), (e: unknown) => e instanceof RadpoError && /--bta.*did you mean --beta/.test(e.message));
  assert.throws(() => parseArgv(table, ['--beta', 'abc']), (e: unknown) => e instanceof RadpoError && /"beta".*"abc"/.test(e.message));
  assert.throws(() => parseArgv(table, ['--loss_type', 'foo']), /one of sigmoid, ipo/);
  assert.throws(() => parseArgv(table, ['--max_steps', '1.5']), /integer/);
  assert.throws(() => resolveOptions(table, { nope: 1 }), /unknown key/);
});

test('layers: later layers override earlier ones; --no-flag negates', () => {
  const r = resolveOptions(table, { beta: 0.2, skip_invalid: true }, parseArgv(table, ['--no-skip-invalid']).flags);
  assert.equal(r.beta, 0.2);
  assert.equal(r.skip_invalid, false);
});
