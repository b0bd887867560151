// The Python launcher written into an export folder: runs TRL 1.16's DPOTrainer / SFTTrainer on trl_config.yaml.
// Text only (radpo itself never runs Python); the interop suite runs it. Pinned to TRL 1.16 (see trl_map.ts).

import { TRL_VERSION, type TrainerKind } from './trl_map.js';

export function trainPy(trainer: TrainerKind): string {
  const Config = trainer === 'dpo' ? 'DPOConfig' : 'SFTConfig';
  const Trainer = trainer === 'dpo' ? 'DPOTrainer' : 'SFTTrainer';
  // radpo's ref_model_name_or_path has no TrlParser key: it travels in radpo_export.json.
  const ref = trainer === 'dpo'
    ? `
    meta_file = os.path.join(HERE, "radpo_export.json")
    ref = json.load(open(meta_file)).get("ref_model_name_or_path") if os.path.exists(meta_file) else None
    if ref:
        from transformers import AutoModelForCausalLM
        extra["ref_model"] = AutoModelForCausalLM.from_pretrained(local_path(ref))`
    : '';
  return `# Written by \`radpo export trl\`: runs TRL ${TRL_VERSION}'s ${Trainer} with trl_config.yaml and the exported dataset.
# Usage (from this folder): python train.py --config trl_config.yaml [--key value ...]  (or via accelerate launch).
# The loss mapping in trl_config.yaml (label_smoothing, loss_type, loss_weights) assumes TRL ${TRL_VERSION.replace(/\.\d+$/, '')}.x:
# other TRL versions are refused unless RADPO_ALLOW_ANY_TRL=1.
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PINNED_TRL = "${TRL_VERSION}"


def local_path(p):
    """Resolves a path written relative to this folder; leaves hub ids and absolute paths alone."""
    if p and not os.path.isabs(p) and os.path.exists(os.path.join(HERE, p)):
        return os.path.join(HERE, p)
    return p


def main():
    import trl
    if trl.__version__.split(".")[:2] != PINNED_TRL.split(".")[:2] and os.environ.get("RADPO_ALLOW_ANY_TRL") != "1":
        sys.exit(f"train.py: exported for TRL {PINNED_TRL}, found {trl.__version__}; install trl=={PINNED_TRL} "
                 "(the label_smoothing / loss_type mapping depends on it) or set RADPO_ALLOW_ANY_TRL=1")
    from datasets import load_dataset
    from trl import ${Config}, ${Trainer}, ModelConfig, ScriptArguments, TrlParser, get_peft_config

    argv = sys.argv[1:]
    if "--config" not in argv:
        argv = ["--config", os.path.join(HERE, "trl_config.yaml")] + argv
    parser = TrlParser((ScriptArguments, ${Config}, ModelConfig))
    script_args, training_args, model_args = parser.parse_args_and_config(args=argv)

    dataset = load_dataset(local_path(script_args.dataset_name))
    eval_dataset = None
    if training_args.eval_strategy != "no" and script_args.dataset_test_split in dataset:
        eval_dataset = dataset[script_args.dataset_test_split]
    extra = {}${ref}
    trainer = ${Trainer}(
        model=local_path(model_args.model_name_or_path),
        args=training_args,
        train_dataset=dataset[script_args.dataset_train_split],
        eval_dataset=eval_dataset,
        peft_config=get_peft_config(model_args),
        **extra,
    )
    trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    trainer.save_model(training_args.output_dir)
    trainer.accelerator.print(f"saved to {training_args.output_dir}")
    # Multi-process launches: leave the process group before exit. Without it a rank's communication threads can be
    # torn down mid-exit ("terminate called without an active exception", SIGABRT) after training succeeded.
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        trainer.accelerator.wait_for_everyone()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
}
