// The README.md of an export folder: what is in it, how to run it on one machine or a cluster, what did not map.
// Text only; the facts come from the mapping objects (trl_map.ts, openrlhf.ts), nothing is re-derived here.

import { TRL_PINS, type TrlMapping, type Unmapped } from './trl_map.js';
import { LAUNCH_MODES, launchCommand, type ClusterShape } from './accelerate.js';
import { OPENRLHF_REF, type OpenRlhfCommand } from './openrlhf.js';

export interface ReadmeInput {
  mapping: TrlMapping;
  shape: ClusterShape;
  rows: Record<string, number>;     // split -> rows
  source: string;                   // the radpo dataset the rows came from
  openrlhf: OpenRlhfCommand | null;
  radpoVersion: string;
}

export function exportReadme(x: ReadmeInput): string {
  const { mapping: m, shape } = x;
  const T = m.trainer === 'dpo' ? 'DPO' : 'SFT';
  const L: string[] = [];
  L.push(`# radpo ${T} job exported for TRL ${TRL_PINS['trl']}`, '');
  L.push(`Written by \`radpo export trl\` (radpo ${x.radpoVersion}). The same data, model and settings as the radpo recipe,`);
  L.push(`as a TRL ${TRL_PINS['trl']} ${T === 'DPO' ? 'DPOTrainer' : 'SFTTrainer'} job that runs on one GPU, many GPUs (DDP), DeepSpeed ZeRO-3 or FSDP.`, '');
  L.push('## Files', '');
  L.push('| path | what |', '| --- | --- |');
  L.push(`| \`dataset/\` | Hugging Face dataset folder (Parquet): ${Object.entries(x.rows).map(([s, n]) => `\`${s}\` ${n} rows`).join(', ')}, from \`${x.source}\` |`);
  L.push(`| \`trl_config.yaml\` | ScriptArguments + ${T === 'DPO' ? 'DPOConfig' : 'SFTConfig'} + ModelConfig arguments, read by TRL's \`TrlParser\` |`);
  L.push('| `train.py` | launcher: loads the dataset folder and runs the trainer (refuses other TRL minor versions) |');
  L.push('| `requirements.txt` | pinned Python packages the mapping was written and tested against |');
  L.push('| `accelerate/{ddp,zero3,fsdp}.yaml` | accelerate configs: multi-GPU DDP, DeepSpeed ZeRO-3, FSDP2 |');
  L.push('| `launch.sh` | `bash launch.sh single\\|ddp\\|zero3\\|fsdp` |');
  if (x.openrlhf) L.push('| `openrlhf_dpo.sh` | the same job as an OpenRLHF `train_dpo` command line (see its limits below) |');
  L.push('| `radpo_export.json` | the resolved radpo config, the mapping notes and the settings that did not map |', '');
  L.push('## Run', '');
  L.push('```bash', 'cd <this folder>', 'python -m venv .venv && . .venv/bin/activate', 'pip install -r requirements.txt   # + deepspeed for zero3', '');
  L.push(`# one GPU (or CPU)`, launchCommand('single', shape));
  for (const mode of LAUNCH_MODES) L.push(`# ${mode === 'ddp' ? 'data parallel (DDP)' : mode === 'zero3' ? 'DeepSpeed ZeRO-3 (what the paper used)' : 'FSDP2'}, ${shape.numProcesses} processes`, launchCommand(mode, shape));
  L.push('```', '');
  L.push(`The accelerate configs are written for ${shape.numProcesses} processes on ${shape.numMachines} machine(s), mixed precision \`${shape.mixedPrecision}\`.`);
  L.push('FSDP2 shards the model across GPUs; on CPU (`--use_cpu true`) accelerate runs the FSDP config as plain data parallelism, a full model per process.');
  L.push('Change `num_processes` / `num_machines` in `accelerate/*.yaml` (or pass `--num_processes N`) to fit your nodes.');
  L.push('Any TRL argument can be overridden on the command line after the config, e.g. `--learning_rate 1e-6`.', '');
  L.push('On a Slurm cluster run the same command once per node, e.g. in an sbatch script:', '');
  L.push('```bash', 'export MAIN_PROCESS_IP=$(scontrol show hostnames $SLURM_JOB_NODELIST | head -n1)');
  L.push(`srun --nodes=${Math.max(2, shape.numMachines)} --ntasks-per-node=1 bash -c 'MACHINE_RANK=$SLURM_NODEID ${launchCommand('zero3', { ...shape, numMachines: Math.max(2, shape.numMachines) })}'`);
  L.push('```', '');
  L.push('Set `num_machines` and the total `num_processes` (GPUs over all nodes) in the accelerate config first.', '');
  L.push('## Effective batch', '');
  L.push('TRL\'s effective batch is per_device_train_batch_size x gradient_accumulation_steps x processes; radpo runs one process.');
  for (const n of m.notes.filter((s) => s.startsWith('gradient_accumulation'))) L.push(`- ${n}`);
  L.push('');
  L.push('## How the settings were mapped', '');
  for (const n of m.notes.filter((s) => !s.startsWith('gradient_accumulation'))) L.push(`- ${n}`);
  if (m.trainer === 'dpo') {
    L.push('- radpo\'s `label_smoothing` on the sigmoid loss is conservative DPO (cDPO): loss = -(1-eps) log sigmoid(z) - eps log sigmoid(-z),');
    L.push('  as in TRL 0.8.2 used by the paper\'s reference recipes. TRL >= 1.0 dropped that behaviour (label_smoothing only feeds');
    L.push('  `robust` and `exo_pair`), so a non-zero value is written as the TRL multi-loss `[sigmoid, robust]` with weights that');
    L.push('  give exactly the cDPO loss and gradient. Do not "simplify" trl_config.yaml to `loss_type: sigmoid` + `label_smoothing`.');
  }
  L.push('');
  L.push('## Settings that do not map to TRL', '');
  L.push(...unmappedLines(m.unmapped));
  if (x.openrlhf) {
    L.push('## OpenRLHF', '');
    L.push(`\`openrlhf_dpo.sh\` runs the recipe with ${OPENRLHF_REF} (\`pip install openrlhf\`, DeepSpeed ZeRO-3, bf16).`);
    L.push('OpenRLHF\'s `--model.label_smoothing` is cDPO, the same as radpo\'s, so it is passed unchanged. Its scheduler is set');
    L.push('to cosine with a 0 floor where radpo uses cosine (OpenRLHF\'s default keeps 10% of the peak). These do not map:', '');
    L.push(...unmappedLines(x.openrlhf.unmapped));
  }
  return L.join('\n') + '\n';
}

function unmappedLines(u: Unmapped[]): string[] {
  if (u.length === 0) return ['None: every setting of the recipe has a counterpart.', ''];
  return [...u.map((x) => `- \`${x.key}\` = \`${JSON.stringify(x.value)}\`: ${x.reason}`), ''];
}
