// The HTML report: document model, renderer and SVG chart helpers. Re-exports only.
export { renderReport, writeReport, type ReportDoc, type Section, type Block } from './html.js';
export { lineChart, barChart, niceTicks, PALETTE, type LineChartSpec, type LineSeries, type BarChartSpec, type BarGroup, type Bar } from './svg.js';
