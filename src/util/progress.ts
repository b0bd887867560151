// A terminal progress bar with rate and ETA, drawn only when stderr is a TTY (quiet in CI, pipes and tests).
// Not a logger: machine-readable results go to files, never to this bar.

export interface ProgressOptions {
  total?: number;        // unknown totals show a counter instead of a bar
  label?: string;
  unit?: string;         // e.g. 'rows', 'steps'
  enabled?: boolean;     // default: process.stderr.isTTY && !process.env.CI
  minIntervalMs?: number;
}

export class Progress {
  private readonly total: number | undefined;
  private readonly label: string;
  private readonly unit: string;
  private readonly enabled: boolean;
  private readonly minIntervalMs: number;
  private readonly start = Date.now();
  private lastDraw = 0;
  private current = 0;
  private info = '';

  constructor(opts: ProgressOptions = {}) {
    this.total = opts.total;
    this.label = opts.label ?? '';
    this.unit = opts.unit ?? 'it';
    this.enabled = opts.enabled ?? (Boolean(process.stderr.isTTY) && !process.env.CI);
    this.minIntervalMs = opts.minIntervalMs ?? 100;
  }

  /** Advance by `n`; `info` replaces the trailing text (e.g. key metrics). */
  tick(n = 1, info?: string): void {
    this.current += n;
    if (info !== undefined) this.info = info;
    this.draw(false);
  }

  update(current: number, info?: string): void {
    this.current = current;
    if (info !== undefined) this.info = info;
    this.draw(false);
  }

  done(info?: string): void {
    if (info !== undefined) this.info = info;
    this.draw(true);
    if (this.enabled) process.stderr.write('\n');
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const rate = elapsed > 0 ? this.current / elapsed : 0;
    let line = this.label ? `${this.label} ` : '';
    if (this.total !== undefined && this.total > 0) {
      const frac = Math.min(1, this.current / this.total);
      const width = 24;
      const filled = Math.round(frac * width);
      const eta = rate > 0 ? (this.total - this.current) / rate : 0;
      line += `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.current}/${this.total} ${this.unit}`;
      line += ` ${formatRate(rate)} ${this.unit}/s eta ${formatDuration(eta)}`;
    } else {
      line += `${this.current} ${this.unit} ${formatRate(rate)} ${this.unit}/s ${formatDuration(elapsed)}`;
    }
    if (this.info) line += ` ${this.info}`;
    const cols = process.stderr.columns ?? 120;
    process.stderr.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(r: number): string {
  if (r >= 1000) return `${(r / 1000).toFixed(1)}k`;
  if (r >= 10) return r.toFixed(0);
  return r.toFixed(2);
}
