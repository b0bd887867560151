import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, lineChart, niceTicks } from '../../src/report/svg.js';
import { renderReport } from '../../src/report/html.js';

test('nice ticks are 1/2/2.5/5 x 10^k steps covering the range (hand-checked)', () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0.3, 0.72, 5), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
  assert.deepEqual(niceTicks(-1, 1, 4), [-1, -0.5, 0, 0.5, 1]);
  // zero is exactly 0, not a running sum's -2.8e-17 (seen on a training report: -0.5 + 5 x 0.1)
  assert.deepEqual(niceTicks(-0.47, 0.1, 6), [-0.5, -0.4, -0.3, -0.2, -0.1, 0, 0.1]);
  assert.ok(Object.is(niceTicks(-0.47, 0.1, 6)[5], 0));
});

test('charts map data to pixels: a line from (0,0) to (10,10) spans the plot box; bars carry their values', () => {
  const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[0, 0], [10, 10]] }], width: 560, height: 320 });
  // plot box: x from 58 to 560-16 = 544, y from 320-46 = 274 up to 48 (width 560 given explicitly)
  assert.match(svg, /d="M58\.0,274\.0L544\.0,48\.0"/);
  const bars = barChart({ title: 'b', xLabel: 'm', yLabel: 'v', groups: [{ label: 'g', bars: [{ series: 's', mean: 5, lo: 4, hi: 6 }] }], yMin: 0, yMax: 10 });
  assert.match(bars, /<rect class="bar"[^>]*height="113\.0"/); // 5 of 10 on a 226-pixel axis
  assert.match(bars, /class="errorbar"/);
  const html = renderReport({ title: 'a <b>', sections: [{ title: 's', blocks: [{ kind: 'table', headers: ['h'], rows: [['<x>']] }] }] });
  assert.ok(html.includes('a &lt;b&gt;') && html.includes('&lt;x&gt;') && !html.includes('<x>'));
});
