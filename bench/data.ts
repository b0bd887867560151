// Benchmark of the data toolkit: augmentation throughput vs a plain read-parse-write pass over the same generated
// UltraFeedback-sized file (64k H4 rows), and peak RSS augmenting a 1 GB file. Not a test: prints numbers only.
// Usage: npx tsx bench/data.ts [--rows 64000 | --rows 0 to skip] [--gb 1 | --gb 0 to skip] [--reps 3]
// Baseline and augment runs are interleaved (plain, augment, plain, augment, ...) so both see the same machine load;
// best and median of --reps each are printed, and the ratio of each.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Rng } from '../src/util/rng.js';
import { AtomicWriteStream } from '../src/util/atomic.js';
import { readRows } from '../src/data/read.js';
import { augmentFile } from '../src/data/augment.js';
import { AUGMENT_FAST_PATH } from '../src/data/augment_sink.js';

const WORDS = 'the of and to a in is that for it as with was on be by this are or from an which at have not but can more one all their has will when been also would there its about so if these into other than only some such how what each used time data model may first over most two make out then them could many like just where results answer code function value return example use step'.split(' ');

function text(rng: Rng, meanChars: number): string {
  // Log-normal lengths (sigma 0.8) around the mean, as response lengths in UltraFeedback are long-tailed.
  const n = Math.max(8, Math.round(meanChars * Math.exp(0.8 * rng.normal() - 0.32)));
  let s = '';
  while (s.length < n) { s += WORDS[rng.int(WORDS.length)]; s += rng.int(12) === 0 ? '.\n' : ' '; }
  return s.slice(0, n);
}

/** One H4 ultrafeedback_binarized row with realistic lengths: prompt ~500 chars, responses ~1100 chars. */
function row(rng: Rng, i: number): string {
  const prompt = `${i}: ${text(rng, 500)}`;
  const c = [{ content: prompt, role: 'user' }, { content: text(rng, 1100), role: 'assistant' }];
  const r = [{ content: prompt, role: 'user' }, { content: text(rng, 1100), role: 'assistant' }];
  const sc = 1 + rng.int(19) / 2; const sr = 1 + rng.int(19) / 2;
  return JSON.stringify({ prompt, prompt_id: createHash('sha256').update(prompt).digest('hex'), chosen: c, rejected: r, messages: c, score_chosen: Math.max(sc, sr), score_rejected: Math.min(sc, sr) });
}

export function generate(file: string, rows: number, bytes: number): number {
  const rng = new Rng(1234);
  const fd = fs.openSync(file, 'w');
  let n = 0; let size = 0; let buf = '';
  while ((rows > 0 && n < rows) || (bytes > 0 && size < bytes)) {
    const l = row(rng, n++) + '\n';
    buf += l; size += l.length;
    if (buf.length > 1 << 22) { fs.writeSync(fd, buf); buf = ''; }
  }
  fs.writeSync(fd, buf); fs.closeSync(fd);
  return n;
}

/** The baseline: same reader, JSON.parse, JSON.stringify, buffered write, atomic rename. */
export async function plainPass(input: string, output: string): Promise<number> {
  const out = new AtomicWriteStream(output);
  let buf = ''; let n = 0;
  for await (const { row: r } of readRows(input)) {
    buf += JSON.stringify(r) + '\n'; n++;
    if (buf.length > 1 << 20) { out.write(buf); buf = ''; }
  }
  out.write(buf); out.commit();
  return n;
}

async function timed(f: () => Promise<unknown>, cpu?: number[]): Promise<number> {
  const t = process.hrtime.bigint(); const c = process.cpuUsage();
  await f();
  const d = process.cpuUsage(c);
  cpu?.push((d.user + d.system) / 1e6);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    // Child process of the 1 GB run: augment and report the RSS high-water mark.
    const t = await timed(() => augmentFile(args[1] as string, args[2] as string, {}));
    process.stdout.write(JSON.stringify({ seconds: t, max_rss_mb: process.resourceUsage().maxRSS / 1024 }) + '\n');
    return;
  }
  const opt = (k: string, d: number): number => { const i = args.indexOf(`--${k}`); return i >= 0 ? Number(args[i + 1]) : d; };
  const rows = opt('rows', 64000); const gb = opt('gb', 1); const reps = Math.max(1, opt('reps', 3));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-bench-data-'));
  try {
    const input = path.join(dir, 'uf.jsonl');
    if (rows > 0) {
      generate(input, rows, 0);
      const mb = fs.statSync(input).size / 2 ** 20;
      console.log(`generated ${rows} H4 rows, ${mb.toFixed(0)} MiB (${(fs.statSync(input).size / rows / 1024).toFixed(1)} KiB/row)`);
      const plain: number[] = []; const aug: number[] = []; const plainCpu: number[] = []; const augCpu: number[] = [];
      const general: number[] = []; const generalCpu: number[] = [];
      for (let k = 0; k < reps; k++) {
        plain.push(await timed(() => plainPass(input, path.join(dir, 'plain.jsonl')), plainCpu));
        aug.push(await timed(() => augmentFile(input, path.join(dir, 'aug.jsonl'), {}), augCpu));
        fs.rmSync(path.join(dir, 'plain.jsonl')); fs.rmSync(path.join(dir, 'aug.jsonl'));
        // The general path (input text not reused), as for JSONL not written in JSON.stringify's compact layout
        // (Python json.dumps, pandas), Parquet and dataset folders.
        AUGMENT_FAST_PATH.enabled = false;
        const spliced = AUGMENT_FAST_PATH.spliced;
        general.push(await timed(() => augmentFile(input, path.join(dir, 'aug.jsonl'), {}), generalCpu));
        AUGMENT_FAST_PATH.enabled = true; AUGMENT_FAST_PATH.spliced = spliced;
        fs.rmSync(path.join(dir, 'aug.jsonl'));
      }
      const best = (a: number[]): number => Math.min(...a);
      const median = (a: number[]): number => { const b = [...a].sort((x, y) => x - y); const m = b.length >> 1; return b.length % 2 ? b[m] as number : ((b[m - 1] as number) + (b[m] as number)) / 2; };
      const fmt = (a: number[]): string => a.map((x) => x.toFixed(2)).join(', ');
      console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores (a loaded machine slows both passes)`);
      console.log(`plain read-parse-write: best ${best(plain).toFixed(2)} s, median ${median(plain).toFixed(2)} s [${fmt(plain)}] (best: ${(rows / best(plain)).toFixed(0)} rows/s, ${(mb / best(plain)).toFixed(0)} MiB/s)`);
      console.log(`augment (2 rows out per row in): best ${best(aug).toFixed(2)} s, median ${median(aug).toFixed(2)} s [${fmt(aug)}] (best: ${(rows / best(aug)).toFixed(0)} input rows/s)`);
      console.log(`throughput ratio augment / plain: best ${(best(plain) / best(aug)).toFixed(2)}, median ${(median(plain) / median(aug)).toFixed(2)} (target >= 0.7; ${reps} interleaved runs each, same input, same run)`);
      console.log(`augment wrote ${AUGMENT_FAST_PATH.spliced / reps} of ${rows} pairs per run by splicing the input's canonical JSON (the rest: general path)`);
      console.log(`CPU seconds (user + system, this process incl. its I/O threads): plain median ${median(plainCpu).toFixed(2)}, augment median ${median(augCpu).toFixed(2)}, ratio ${(median(plainCpu) / median(augCpu)).toFixed(2)} (less sensitive to other processes)`);
      console.log(`general path (no splicing: other JSONL layouts, Parquet, folders): best ${best(general).toFixed(2)} s, median ${median(general).toFixed(2)} s; ratio best ${(best(plain) / best(general)).toFixed(2)}, median ${(median(plain) / median(general)).toFixed(2)}; CPU ratio ${(median(plainCpu) / median(generalCpu)).toFixed(2)}`);
      fs.rmSync(input);
    }
    if (gb > 0) {
      const big = path.join(dir, 'big.jsonl');
      const n = generate(big, 0, gb * 2 ** 30);
      console.log(`generated ${(fs.statSync(big).size / 2 ** 30).toFixed(2)} GiB (${n} rows)`);
      const here = path.dirname(new URL(import.meta.url).pathname);
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'data.ts'), '--child', big, path.join(dir, 'big.aug.jsonl')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
      const res = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { seconds: number; max_rss_mb: number };
      console.log(`augment 1 GB: ${res.seconds.toFixed(1)} s, peak RSS ${res.max_rss_mb.toFixed(0)} MB (target < 300 MB; child process incl. tsx)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

import { pathToFileURL } from 'node:url';
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
