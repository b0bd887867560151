import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inversions, makeSortTask, multisetDiff, sortReward } from '../../src/tasks/sort.js';
import { makeReverseTask, reverseReward } from '../../src/tasks/reverse.js';
import { getTask, TASK_NAMES } from '../../src/tasks/registry.js';
import { Rng } from '../../src/util/rng.js';

// All expected values below are worked out by hand from the reward definitions in the task files.

test('sort: reward = 10 - inversions - 2 (missing + extra), clamped to 1..10', () => {
  assert.equal(inversions('bacde'), 1);
  assert.equal(inversions('edcba'), 10);
  assert.deepEqual(multisetDiff('abcde', 'abcdd'), { missing: 1, extra: 1 });
  assert.equal(sortReward('sort dbeca', 'abcde'), 10);
  assert.equal(sortReward('sort dbeca', 'bacde'), 9);
  assert.equal(sortReward('sort dbeca', 'bcade'), 8);      // b>a, c>a
  assert.equal(sortReward('sort dbeca', 'edcba'), 1);      // 10 inversions -> 0 -> clamped to 1
  assert.equal(sortReward('sort dbeca', 'abcd'), 8);       // e missing
  assert.equal(sortReward('sort dbeca', 'abcdex'), 8);     // x extra
  assert.equal(sortReward('sort dbeca', 'abcdd'), 6);      // e missing, second d extra
  assert.equal(sortReward('sort dbeca', ' abcde '), 10);   // surrounding whitespace ignored
  assert.equal(sortReward('garbage', 'abc'), 4);           // no letters asked: 3 extra
});

test('reverse: reward = 1 + 4.5 (completeness + precision); the attributes trade off', () => {
  assert.equal(reverseReward('rev dog', 'god'), 10);
  assert.equal(reverseReward('rev dog', 'go'), 1 + 4.5 * (2 / 3 + 1));       // terse: precise, incomplete
  assert.equal(reverseReward('rev dog', 'godx'), 1 + 4.5 * (1 + 3 / 4));     // verbose: complete, imprecise
  assert.equal(reverseReward('rev dog', 'gxd'), 1 + 4.5 * (2 / 3 + 2 / 3));
  assert.equal(reverseReward('rev dog', ''), 1);
  assert.equal(reverseReward('rev dog', 'dog'), 1 + 4.5 * (1 / 3 + 1 / 3)); // middle letter matches
  const t = makeReverseTask();
  assert.deepEqual(t.attributes('rev dog', 'go'), { completeness: 1 + 4 * (2 / 3), precision: 5 });
  assert.deepEqual(t.attributes('rev dog', 'godx'), { completeness: 5, precision: 4 });
});

test('every task: ideal responses score the maximum, behaviours stay in range, the registry knows each name', () => {
  const rng = new Rng(3);
  for (const name of TASK_NAMES) {
    const task = getTask(name);
    for (let i = 0; i < 200; i++) {
      const p = task.samplePrompt(rng);
      assert.equal(task.reward(p, task.ideal(p)), task.maxReward, `${name}: ideal for ${p}`);
      for (const c of p) assert.ok(task.alphabet.includes(c), `${name}: prompt char ${c}`);
      for (const b of task.behaviours) {
        const r = task.reward(p, b.sample(p, rng));
        assert.ok(r >= task.minReward && r <= task.maxReward, `${name}/${b.name}: ${r}`);
      }
    }
  }
  assert.throws(() => getTask('nope'), /unknown task/);
  assert.equal(makeSortTask().reward('sort ab', 'ba'), 9);
});
