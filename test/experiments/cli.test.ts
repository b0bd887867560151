import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';

test('radpo experiment toy writes results.json and a report; radpo report merges results files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-exp-'));
  try {
    assert.equal(await main(['experiment', 'toy', '--output', path.join(dir, 'toy')]), 0);
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'toy', 'results.json'), 'utf8'));
    assert.equal(r.name, 'toy');
    const [nine, nineOneZero] = r.results.toy;
    assert.ok(nine.dpo.probs[1] < 1e-15);                       // DPO unlearns the 8
    assert.ok(Math.abs(nineOneZero.dpo.probs[1] - 0.5) < 1e-9);  // and gives the 1-point response half the mass
    const out = path.join(dir, 'merged.html');
    assert.equal(await main(['report', path.join(dir, 'toy'), path.join(dir, 'toy', 'results.json'), '-o', out]), 0);
    const html = fs.readFileSync(out, 'utf8');
    assert.equal(html.split('<svg').length - 1, 4); // two toy charts per results file, twice
    assert.equal(await main(['experiment', 'nope']), 2);          // usage error
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
