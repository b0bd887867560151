// `radpo export trl`: writes one folder holding the dataset (HF Parquet folder), the TRL 1.16 config, launcher,
// accelerate configs, OpenRLHF command and README, atomically. Not a trainer: nothing here runs Python or a GPU.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { toPyYaml as toYaml } from './pyyaml.js';
import { writeDirAtomicAsync } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { accelerateConfig, LAUNCH_MODES, launchCommand, type ClusterShape } from './accelerate.js';
import { exportReadme } from './readme.js';
import { mapToTrl, TRL_PINS, type TrainerKind, type TrlMapping } from './trl_map.js';
import { openrlhfDpoCommand, type OpenRlhfCommand } from './openrlhf.js';
import { trainPy } from './train_py.js';
import { readExportRows, writeExportDataset, type ExportRow } from './export_data.js';

export interface ExportTrlOptions {
  trainer: TrainerKind;
  /** Export folder (replaced atomically). */
  out: string;
  numProcesses?: number;            // default 8
  numMachines?: number;             // default 1
  mixedPrecision?: 'bf16' | 'fp16' | 'no';  // default bf16
  /** Copy the model folder into OUT/model (self-contained job; for small models). */
  copyModel?: boolean;
  /** Defaults of the radpo option table, so keys left at their default are not reported as unmapped. */
  defaults?: Record<string, unknown>;
  /** Rows to export instead of reading config.dataset_name (library use and tests). */
  rows?: { train: ExportRow[]; test?: ExportRow[] };
}

export interface ExportTrlResult {
  out: string;
  mapping: TrlMapping;
  openrlhf: OpenRlhfCommand | null;
  rows: Record<string, number>;
  files: string[];
}

/** Exports a resolved radpo train config (plus its dataset) as a TRL / accelerate / OpenRLHF job folder. */
export async function exportTrl(config: Record<string, unknown>, opts: ExportTrlOptions): Promise<ExportTrlResult> {
  const shape: ClusterShape = {
    numProcesses: opts.numProcesses ?? 8,
    numMachines: opts.numMachines ?? 1,
    mixedPrecision: opts.mixedPrecision ?? 'bf16',
  };
  const model = config['model_name_or_path'];
  if (typeof model !== 'string' || model === '') throw new RadpoError('config', 'export needs model_name_or_path', { field: 'model_name_or_path', value: model });
  const modelIsLocal = fs.existsSync(model);
  if (opts.copyModel && !modelIsLocal) throw new RadpoError('config', '--copy_model needs a local model folder', { field: 'model_name_or_path', value: model });
  // A local model that is not copied is referenced by absolute path (the job runs from another folder).
  const modelPath = opts.copyModel ? 'model' : modelIsLocal ? path.resolve(model) : model;

  const splits = opts.rows ?? await readExportRows(opts.trainer, config);
  const rows: Record<string, number> = { train: splits.train.length };
  if (splits.test) rows['test'] = splits.test.length;
  if (splits.train.length === 0) throw new RadpoError('input', 'the train split is empty: nothing to export', { file: String(config['dataset_name'] ?? '(rows)') });
  const conversational = typeof splits.train[0]?.['prompt'] !== 'string';

  const mapping = mapToTrl(opts.trainer, config, { datasetPath: 'dataset', modelPath, outputDir: 'output', numProcesses: shape.numProcesses, defaults: opts.defaults });
  if (modelIsLocal && !opts.copyModel) mapping.notes.push(`model_name_or_path is the local folder ${modelPath}: copy it to the cluster and edit trl_config.yaml, or export with --copy_model`);
  if (!splits.test && config['eval_strategy'] !== undefined && config['eval_strategy'] !== 'no') {
    mapping.notes.push('no test split was found: eval_strategy set to "no"');
    mapping.args['eval_strategy'] = 'no';
  }
  const refModel = config['ref_model_name_or_path'];
  const openrlhf = opts.trainer === 'dpo'
    ? openrlhfDpoCommand(config, { datasetPath: 'dataset', modelPath, outputDir: 'output-openrlhf', numProcesses: shape.numProcesses, conversational, hasTest: splits.test !== undefined }, opts.defaults)
    : null;

  const files: string[] = [];
  await writeDirAtomicAsync(opts.out, async (dir) => {
    const put = (rel: string, text: string): void => {
      const p = path.join(dir, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
      files.push(rel);
    };
    await writeExportDataset(path.join(dir, 'dataset'), splits, { source: String(config['dataset_name'] ?? '(in-memory rows)'), trainer: opts.trainer });
    files.push('dataset/');
    put('trl_config.yaml', `# TRL ${TRL_PINS['trl']} arguments for train.py (ScriptArguments + ${opts.trainer === 'dpo' ? 'DPOConfig' : 'SFTConfig'} + ModelConfig), written by radpo export trl.\n# See README.md before editing loss_type / loss_weights / label_smoothing.\n${toYaml(mapping.args)}`);
    put('train.py', trainPy(opts.trainer));
    put('requirements.txt', `${Object.entries(TRL_PINS).map(([k, v]) => `${k}==${v}`).join('\n')}\ntorch\nsafetensors\n# for accelerate/zero3.yaml: deepspeed\n`);
    for (const mode of LAUNCH_MODES) put(`accelerate/${mode}.yaml`, toYaml(accelerateConfig(mode, shape)));
    put('launch.sh', launchSh(shape));
    if (openrlhf) put('openrlhf_dpo.sh', `#!/usr/bin/env bash\n# The radpo recipe as an OpenRLHF DPO run; see README.md for the settings that do not map.\nset -euo pipefail\ncd "$(dirname "$0")"\n${openrlhf.command}\n`);
    put('radpo_export.json', JSON.stringify({
      radpo_version: VERSION, trainer: opts.trainer, pins: TRL_PINS, cluster: shape, rows,
      ref_model_name_or_path: typeof refModel === 'string' ? (fs.existsSync(refModel) ? path.resolve(refModel) : refModel) : null,
      radpo_config: config, trl_args: mapping.args, notes: mapping.notes, unmapped: mapping.unmapped,
      openrlhf: openrlhf ? { args: openrlhf.args, unmapped: openrlhf.unmapped } : null,
    }, null, 2) + '\n');
    put('README.md', exportReadme({ mapping, shape, rows, source: String(config['dataset_name'] ?? '(in-memory rows)'), openrlhf, radpoVersion: VERSION }));
    if (opts.copyModel) { fs.cpSync(model, path.join(dir, 'model'), { recursive: true }); files.push('model/'); }
  });
  return { out: opts.out, mapping, openrlhf, rows, files };
}

function launchSh(shape: ClusterShape): string {
  const cases = (['single', ...LAUNCH_MODES] as const).map((m) => `  ${m}) exec ${launchCommand(m, shape)} "$@" ;;`).join('\n');
  return `#!/usr/bin/env bash
# Runs the exported TRL job: bash launch.sh single|ddp|zero3|fsdp [extra TRL args]. Multi-node: set MACHINE_RANK,
# MAIN_PROCESS_IP (and MAIN_PROCESS_PORT) on every node and num_machines / num_processes in accelerate/*.yaml.
set -euo pipefail
cd "$(dirname "$0")"
mode="\${1:-single}"; shift || true
case "$mode" in
${cases}
  *) echo "usage: bash launch.sh single|ddp|zero3|fsdp [TRL args]" >&2; exit 2 ;;
esac
`;
}
