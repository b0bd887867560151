import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toPyYaml } from '../../src/scale/pyyaml.js';

// Hand-checked against PyYAML 1.1 rules: bare no/on/yes are booleans there, and its float pattern needs a dot and a
// signed exponent (PyYAML reads `5e-7` as the string "5e-7"; interop/test_scale_export_trl.py runs the real parser).
test('toPyYaml: YAML 1.1-safe strings and floats', () => {
  const y = toPyYaml({ eval_strategy: 'no', mixed: 'on', lr: 5e-7, x: 1.5e-7, big: 1e21, w: [1.4, -0.4, 3e-9], s: '5e-7', n: 3, b: false });
  assert.equal(y, [
    'eval_strategy: "no"', 'mixed: "on"', 'lr: 5.0e-7', 'x: 1.5e-7', 'big: 1.0e+21', 'w:', '  - 1.4', '  - -0.4', '  - 3.0e-9',
    's: "5e-7"', '"n": 3', 'b: false', '',  // the key n is a YAML 1.1 boolean too
  ].join('\n'));
});
