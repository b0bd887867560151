import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reportCommand } from '../../src/cli/commands/report.js';
import { readTrainingRun, trainingReport } from '../../src/report/training.js';
import { renderReport } from '../../src/report/html.js';

// `radpo report` on training output folders: TRL metrics drawn per step, runs overlaid, settings that differ.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-trainrep-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(name: string, beta: number, margins: number[]): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), margins.map((m, i) => JSON.stringify({ step: i + 1, loss: 0.69 - m / 10, 'rewards/margins': m, 'rewards/chosen': m / 2, 'rewards/rejected': -m / 2, learning_rate: 1e-6 })).join('\n') + '\n' +
    JSON.stringify({ step: margins.length, eval_loss: 0.6 }) + '\n');
  fs.writeFileSync(path.join(dir, 'training_args.json'), JSON.stringify({ trainer: 'dpo', beta, learning_rate: 1e-6, seed: 42 }));
  return dir;
}

test('training report: curves per metric with one series per run, final values, only the settings that differ', () => {
  const a = readTrainingRun(run('dpo', 0.1, [0, 0.2, 0.5])), b = readTrainingRun(run('ra-dpo', 0.5, [0, 0.4, 0.9]));
  const doc = trainingReport([a, b]);
  assert.equal(doc.title, 'Training runs: dpo vs ra-dpo');
  const charts = doc.sections[0]!.blocks.filter((x) => x.kind === 'line');
  const titles = charts.map((c) => (c.kind === 'line' ? c.chart.title : ''));
  assert.deepEqual(titles, ['Loss (eval dashed)', 'Reward margin (chosen - rejected)', 'Rewards: chosen (solid), rejected (dashed)', 'Learning rate']);
  const margin = charts[1]!.kind === 'line' ? charts[1]!.chart : null;
  assert.deepEqual(margin!.series.map((s) => [s.name, s.points]), [['dpo', [[1, 0], [2, 0.2], [3, 0.5]]], ['ra-dpo', [[1, 0], [2, 0.4], [3, 0.9]]]]);
  const loss = charts[0]!.kind === 'line' ? charts[0]!.chart : null;
  assert.deepEqual(loss!.series.map((s) => [s.name, !!s.dashed, !!s.noLegend]), [['dpo', false, false], ['dpo', true, true], ['ra-dpo', false, false], ['ra-dpo', true, true]]);
  const finals = doc.sections[1]!.blocks[0]!;
  assert.ok(finals.kind === 'table');
  assert.deepEqual(finals.rows[1], ['ra-dpo', 3, 0.69 - 0.09, 0.6, 0.9, 0.45, -0.45]);
  const settings = doc.sections[2]!.blocks[0]!;
  assert.ok(settings.kind === 'table');
  assert.deepEqual(settings.rows, [['beta', '0.1', '0.5']]); // trainer, learning_rate and seed are shared
  const html = renderReport(doc);
  assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 4);
});

test('radpo report: a training folder writes the HTML; a bad metrics line names file and line; mixing with experiments is refused', async () => {
  const dir = run('sft', 0.1, [0.1, 0.2]);
  const out = path.join(tmp, 'r.html');
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try { assert.equal(await reportCommand.run([dir, '-o', out]), 0); } finally { process.stdout.write = write; }
  assert.match(fs.readFileSync(out, 'utf8'), /Training run: sft/);
  fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"step": 3, "loss": \n');
  await assert.rejects(reportCommand.run([dir, '-o', out]), /metrics\.jsonl:4.*not valid JSON/);
  const exp = path.join(tmp, 'exp'); fs.mkdirSync(exp);
  await assert.rejects(reportCommand.run([run('other', 0.1, [0.1]), exp, '-o', out]), /either training output folders .* or experiment results/);
});
