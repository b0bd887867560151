// The interop virtual environment (interop/setup.sh) that the benchmarks use for their PyTorch / TRL baselines.
// Not a setup step: benchmarks skip their baseline when it is missing.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Python of a completed interop venv under $XDG_CACHE_HOME/radpo (or ~/.cache/radpo), or null. */
export function findVenv(): string | null {
  const venvRoot = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'radpo');
  if (!fs.existsSync(venvRoot)) return null;
  return fs.readdirSync(venvRoot).map((d) => path.join(venvRoot, d, 'bin', 'python'))
    .find((p) => fs.existsSync(p) && fs.existsSync(path.join(p, '..', '..', '.complete'))) ?? null;
}
