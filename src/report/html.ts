// Renders a report document (sections of text, charts, tables and key-value lists) into one self-contained HTML
// file: inline CSS and SVG, no scripts, no network. Not the place where experiment results are computed.

import { writeFileAtomic } from '../util/atomic.js';
import { barChart, esc, lineChart, type BarChartSpec, type LineChartSpec } from './svg.js';

export type Block =
  | { kind: 'text'; html?: string; text?: string }
  | { kind: 'line'; chart: LineChartSpec; caption?: string }
  | { kind: 'bar'; chart: BarChartSpec; caption?: string }
  | { kind: 'table'; headers: string[]; rows: (string | number)[][]; caption?: string }
  | { kind: 'kv'; entries: [string, unknown][]; caption?: string }
  | { kind: 'verdict'; ok: boolean | null; text: string };

export interface Section { id?: string; title: string; blocks: Block[] }

export interface ReportDoc {
  title: string;
  subtitle?: string;
  /** Small text under the title, e.g. date and command. */
  meta?: string;
  sections: Section[];
}

const CSS = `
:root { --fg: #1d232b; --muted: #5b6573; --line: #d9dee5; --bg: #ffffff; --panel: #f6f8fa; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 28px 64px; }
header { border-bottom: 1px solid var(--line); margin-bottom: 20px; padding-bottom: 12px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-top: 6px; border-top: 1px solid var(--line); }
.subtitle { color: var(--muted); font-size: 16px; margin: 0; }
.meta { color: var(--muted); font-size: 12.5px; margin-top: 6px; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
nav { font-size: 13.5px; margin: 8px 0 0; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; }
.grid2 { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 8px 0 14px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 6px; }
figcaption { color: var(--muted); font-size: 13px; margin: 4px 2px 2px; max-width: 560px; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
svg .grid { stroke: #e3e7ec; stroke-width: 1; }
svg .axis { stroke: #6b7480; stroke-width: 1; }
svg .tick { fill: #4a5360; font-size: 11px; }
svg .label { fill: #333b45; font-size: 12px; }
svg .title { fill: #1d232b; font-size: 13.5px; font-weight: 600; }
svg .legend { fill: #333b45; font-size: 11.5px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 12px; text-align: right; }
th { background: var(--panel); font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
caption { caption-side: bottom; color: var(--muted); font-size: 12.5px; text-align: left; padding-top: 6px; }
.kv td { text-align: left; font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.kv td:first-child { color: var(--muted); }
.verdict { border-left: 4px solid #999; background: var(--panel); padding: 8px 12px; margin: 10px 0; border-radius: 0 6px 6px 0; }
.verdict.ok { border-color: #009E73; }
.verdict.no { border-color: #D55E00; }
p { max-width: 900px; }
code { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; background: var(--panel); padding: 1px 4px; border-radius: 4px; }
`;

function fmtCell(v: string | number): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(3) : String(v);
  return esc(v);
}

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return esc(v);
  return esc(JSON.stringify(v) ?? String(v));
}

function renderBlock(b: Block): string {
  switch (b.kind) {
    case 'text': return b.html ?? `<p>${esc(b.text ?? '')}</p>`;
    case 'line': return `<figure>${lineChart(b.chart)}${b.caption ? `<figcaption>${esc(b.caption)}</figcaption>` : ''}</figure>`;
    case 'bar': return `<figure>${barChart(b.chart)}${b.caption ? `<figcaption>${esc(b.caption)}</figcaption>` : ''}</figure>`;
    case 'table': return `<table>${b.caption ? `<caption>${esc(b.caption)}</caption>` : ''}<thead><tr>${b.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${fmtCell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    case 'kv': return `<table class="kv">${b.caption ? `<caption>${esc(b.caption)}</caption>` : ''}<tbody>${b.entries.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${fmtValue(v)}</td></tr>`).join('')}</tbody></table>`;
    case 'verdict': return `<div class="verdict ${b.ok === true ? 'ok' : b.ok === false ? 'no' : ''}">${esc(b.text)}</div>`;
  }
}

/** Charts in a section are laid out two per row; other blocks take the full width. */
function renderSection(s: Section, i: number): string {
  const out: string[] = [`<section id="${esc(s.id ?? `s${i}`)}"><h2>${esc(s.title)}</h2>`];
  let charts: string[] = [];
  const flush = (): void => { if (charts.length) { out.push(`<div class="grid2">${charts.join('')}</div>`); charts = []; } };
  for (const b of s.blocks) {
    if (b.kind === 'line' || b.kind === 'bar') charts.push(renderBlock(b));
    else { flush(); out.push(renderBlock(b)); }
  }
  flush();
  out.push('</section>');
  return out.join('\n');
}

export function renderReport(doc: ReportDoc): string {
  const nav = doc.sections.map((s, i) => `<a href="#${esc(s.id ?? `s${i}`)}">${esc(s.title)}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(doc.title)}</h1>
${doc.subtitle ? `<p class="subtitle">${esc(doc.subtitle)}</p>` : ''}
${doc.meta ? `<div class="meta">${esc(doc.meta)}</div>` : ''}
<nav>${nav}</nav>
</header>
${doc.sections.map(renderSection).join('\n')}
</main>
</body>
</html>
`;
}

export function writeReport(file: string, doc: ReportDoc): void {
  writeFileAtomic(file, renderReport(doc));
}
