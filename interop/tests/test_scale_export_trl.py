"""`radpo export trl` judged by TRL 1.16 itself: the exported job runs a few CPU steps on a tiny model and the
exported data, computes radpo's conservative-DPO loss, changes the weights, and its checkpoint scores the same in
radpo as in transformers. Not a speed test."""

import json
import re
import math
import os
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RADPO = [("node"), os.path.join(ROOT, "bin", "radpo.js")]

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

PAIRS = [
    ("What is two plus two?", "Two plus two is four.", "It is five."),
    ("Name a colour of the sky.", "The sky is blue.", "The sky is made of cheese."),
    ("Say hello politely.", "Hello, nice to meet you.", "Go away."),
    ("What do cats say?", "Cats say meow.", "Cats bark loudly."),
    ("Is water wet?", "Yes, water makes things wet.", "Water is dry sand."),
    ("Count to three.", "One, two, three.", "Three, nine, one."),
]


def write_tiny_model(path, workdir):
    """A tiny random Llama written by radpo itself (`radpo init`: byte-level BPE tokenizer with a ChatML template)."""
    from transformers import AutoTokenizer
    spec = os.path.join(workdir, "tiny.json")
    with open(spec, "w") as f:
        json.dump({"model_type": "llama", "vocab_size": 320, "hidden_size": 32, "intermediate_size": 64,
                   "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                   "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000,
                   "tie_word_embeddings": False, "tokenizer": {"kind": "byte_bpe", "vocab_size": 320}}, f)
    corpus = os.path.join(workdir, "corpus.txt")
    with open(corpus, "w") as f:
        f.write("\n".join(" ".join(p) for p in PAIRS) + "\nuser assistant system\n")
    r = subprocess.run(RADPO + ["init", "--config", spec, "-o", path, "--corpus", corpus, "--seed", "0"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return AutoTokenizer.from_pretrained(path)


def radpo_token_logprobs(model_dir, ids, adapter=None):
    """Per-token log-probs (position t scores token t+1) from radpo's engine via the built dist/ library; with
    `adapter`, a PEFT LoRA folder applied through radpo's LoraModel."""
    load = f"new LoraModel(base, loadAdapter({json.dumps(adapter)}, base.config))" if adapter else "base"
    script = f"""
import {{ Model }} from '{ROOT}/dist/model/model.js';
import {{ LoraModel }} from '{ROOT}/dist/model/lora_model.js';
import {{ loadAdapter }} from '{ROOT}/dist/model/lora_io.js';
const base = await Model.load({json.dumps(model_dir)});
const m = {load};
const ids = Int32Array.from({json.dumps(ids)});
const T = ids.length, V = m.config.vocab_size;
const logits = await m.forward(ids, 1, T);
const out = [];
for (let t = 0; t + 1 < T; t++) {{
  let mx = -Infinity; for (let v = 0; v < V; v++) mx = Math.max(mx, logits[t * V + v]);
  let s = 0; for (let v = 0; v < V; v++) s += Math.exp(logits[t * V + v] - mx);
  out.push(logits[t * V + ids[t + 1]] - mx - Math.log(s));
}}
console.log(JSON.stringify(out));
"""
    r = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def hf_token_logprobs(model_dir, ids):
    from transformers import AutoModelForCausalLM
    m = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        logits = m(torch.tensor([ids])).logits[0].double()
    lp = torch.log_softmax(logits, -1)
    return [lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)]


def load_weights(model_dir):
    from safetensors.torch import load_file
    return load_file(os.path.join(model_dir, "model.safetensors"))


def export_and_run(base, model_dir, name, extra, sft=False):
    """radpo export trl (recipe + flags) -> python train.py on CPU; returns the job folder."""
    data = base / ("sft.jsonl" if sft else "pairs.jsonl")
    if not data.exists():
        with open(data, "w") as f:
            for p, c, r in PAIRS:
                row = {"prompt": [{"role": "user", "content": p}], "completion": [{"role": "assistant", "content": c}]} if sft else \
                    {"prompt": [{"role": "user", "content": p}], "chosen": [{"role": "assistant", "content": c}],
                     "rejected": [{"role": "assistant", "content": r}]}
                f.write(json.dumps(row) + "\n")
    recipe = base / ("sft.yaml" if sft else "recipe.yaml")
    recipe.write_text("\n".join([
        f"model_name_or_path: {model_dir}", f"dataset_name: {data}"] + ([] if sft else ["beta: 0.5", "label_smoothing: 0.2"]) + [
        "learning_rate: 0.01", "lr_scheduler_type: constant", "per_device_train_batch_size: 1",
        "gradient_accumulation_steps: 1", "max_steps: 3", "logging_steps: 1", "max_length: 64", "seed: 0",
        "save_steps: 3", "weight_decay: 0", "max_grad_norm: 1",
    ]) + "\n")
    job = base / name
    r = subprocess.run(RADPO + ["export", "trl", "--config", str(recipe), "-o", str(job), "--copy_model",
                                "--num_processes", "1"] + extra, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr + r.stdout
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="2")
    r = subprocess.run([sys.executable, "train.py", "--use_cpu", "true", "--bf16", "false", "--dataloader_num_workers", "0"],
                       capture_output=True, text=True, cwd=str(job), env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    return job


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("scale_export")
    model_dir = str(base / "tiny")
    tok = write_tiny_model(model_dir, str(base))
    job = export_and_run(base, model_dir, "job", [])
    return {"job": job, "model_dir": model_dir, "tok": tok, "base": base}


def chat_ids(tok):
    text = tok.apply_chat_template([{"role": "user", "content": "What is two plus two?"},
                                    {"role": "assistant", "content": "Two plus two is four."}], tokenize=False)
    return list(tok(text)["input_ids"])


def test_trl_job_runs_and_computes_conservative_dpo(exported):
    job = exported["job"]
    state = json.loads((job / "output" / "checkpoint-3" / "trainer_state.json").read_text())
    logs = [h for h in state["log_history"] if "loss" in h]
    assert len(logs) == 3
    for h in logs:
        assert math.isfinite(h["loss"])
    # Step 1: policy == reference, delta = 0, cDPO loss = ln 2 for any label_smoothing.
    assert abs(logs[0]["loss"] - math.log(2)) < 1e-6  # float32 loss (TRL logs it unrounded)
    # Later steps (one pair per step, so the logged margin is that pair's beta * delta = z):
    # cDPO(z) = softplus(-z) + eps * z with eps = 0.2; plain sigmoid DPO would give softplus(-z).
    checked = 0
    print("TRL log:", [(h["step"], h["loss"], h["rewards/margins"]) for h in logs])
    for h in logs[1:]:
        z = h["rewards/margins"]
        want = math.log1p(math.exp(-z)) + 0.2 * z
        assert abs(h["loss"] - want) < 1e-5, (h, want)  # float32 loss and margin (measured diff ~1e-7)
        if abs(z) > 5e-3:
            assert abs(h["loss"] - math.log1p(math.exp(-z))) > 5e-4  # distinguishable from plain sigmoid DPO
            checked += 1
    assert checked >= 1, logs


def test_trl_job_changes_weights_and_checkpoint_scores_same_in_radpo(exported):
    before = load_weights(exported["model_dir"])
    out = str(exported["job"] / "output")
    after = load_weights(out)
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert len(changed) > 0.5 * len(before), changed
    tok = exported["tok"]
    ids = chat_ids(tok)
    hf = hf_token_logprobs(out, ids)
    rp = radpo_token_logprobs(out, ids)
    assert len(hf) == len(rp)
    err = max(abs(a - b) for a, b in zip(hf, rp))
    print(f"checkpoint log-probs, radpo vs transformers: max |diff| {err:.2e} over {len(ids) - 1} tokens")
    assert err < 1e-4, err  # float32 engine vs float64 softmax over float32 torch logits


def test_trl_lora_job_adapter_loads_in_radpo(exported):
    """--use_peft: TRL trains a PEFT adapter on the exported job; radpo loads it and scores like PEFT."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    job = export_and_run(exported["base"], exported["model_dir"], "job_lora",
                         ["--use_peft", "--lora_r", "4", "--lora_alpha", "8", "--lora_dropout", "0"])
    trl = (job / "trl_config.yaml").read_text()
    assert "use_peft: true" in trl and "down_proj" in trl
    out = str(job / "output")
    assert os.path.exists(os.path.join(out, "adapter_config.json"))
    ids = chat_ids(exported["tok"])
    pm = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(job / "model"), dtype=torch.float32), out).eval()
    with torch.no_grad():
        lp = torch.log_softmax(pm(torch.tensor([ids])).logits[0].double(), -1)
    want = [lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)]
    plain = hf_token_logprobs(str(job / "model"), ids)
    assert max(abs(a - b) for a, b in zip(want, plain)) > 1e-4  # the adapter was trained (B moved off 0)
    got = radpo_token_logprobs(str(job / "model"), ids, adapter=out)
    err = max(abs(a - b) for a, b in zip(got, want))
    print(f"TRL-trained PEFT adapter, radpo vs PEFT log-probs: max |diff| {err:.2e}")
    assert err < 1e-4, err


def test_trl_sft_job_runs(exported):
    """The SFT export: SFTConfig arguments parse, SFTTrainer trains on the prompt-completion rows, weights move."""
    job = export_and_run(exported["base"], exported["model_dir"], "job_sft", ["--trainer", "sft"], sft=True)
    assert "SFTTrainer" in (job / "train.py").read_text()
    state = json.loads((job / "output" / "checkpoint-3" / "trainer_state.json").read_text())
    losses = [h["loss"] for h in state["log_history"] if "loss" in h]
    print("TRL SFT losses:", losses)
    assert len(losses) == 3 and all(math.isfinite(x) for x in losses)
    before, after = load_weights(exported["model_dir"]), load_weights(str(job / "output"))
    assert sum(not torch.equal(before[k], after[k]) for k in before) > 0.5 * len(before)


def test_accelerate_ddp_and_fsdp_configs_launch_two_processes(exported):
    """The exported accelerate configs run as written, with 2 processes on CPU (gloo; CUDA hidden, so bf16 off): the
    data is sharded (one epoch in 3 steps of 1 pair per process) and the weights equal a single process with
    per-device batch 2 (DDP averages the two per-process gradients = the mean over the batch of 2). On CPU the FSDP
    config runs as data parallelism (checked below); its sharding needs GPUs. DeepSpeed ZeRO-3 is not installed here
    and stays untested."""
    base = exported["base"]
    job = export_and_run(base, exported["model_dir"], "job_2proc", ["--num_processes", "2"])
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1")
    accelerate = os.path.join(os.path.dirname(sys.executable), "accelerate")
    common = ["train.py", "--config", "trl_config.yaml", "--use_cpu", "true", "--bf16", "false", "--dataloader_num_workers", "0"]
    single = subprocess.run([sys.executable] + common + ["--per_device_train_batch_size", "2", "--output_dir", "out_single_b2"],
                            capture_output=True, text=True, cwd=str(job), env=env, timeout=900)
    assert single.returncode == 0, single.stderr[-4000:]
    want = load_weights(str(job / "out_single_b2"))
    init = load_weights(exported["model_dir"])
    moved = max((want[k] - init[k]).abs().max().item() for k in want)
    for mode in ["ddp", "fsdp"]:
        assert "num_processes: 2" in (job / "accelerate" / f"{mode}.yaml").read_text()
        r = subprocess.run([accelerate, "launch", "--config_file", f"accelerate/{mode}.yaml", "--mixed_precision", "no"] + common +
                           ["--output_dir", f"out_{mode}"], capture_output=True, text=True, cwd=str(job), env=env, timeout=900)
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
        state = json.loads((job / f"out_{mode}" / "checkpoint-3" / "trainer_state.json").read_text())
        assert state["global_step"] == 3 and abs(state["epoch"] - 1.0) < 1e-9, state["epoch"]  # 6 pairs, 2 per step
        got = load_weights(str(job / f"out_{mode}"))
        err = max((got[k] - want[k]).abs().max().item() for k in want)
        print(f"{mode}: 2 processes vs 1 process x batch 2: max |dW| {err:.2e} (weights moved {moved:.2e})")
        assert err < 1e-2 * moved
    # What do the processes hold? Prepare the model under each config as train.py does on CPU (use_cpu) and count each
    # process's parameters. On CPU, accelerate runs the FSDP config as multi-CPU data parallelism (a full replica per
    # process, no DTensors): the launch and training above are real, sharding itself needs GPUs and is not tested here.
    (job / "shard_probe.py").write_text(SHARD_PROBE)
    for mode in ["ddp", "fsdp"]:
        r = subprocess.run([accelerate, "launch", "--config_file", f"accelerate/{mode}.yaml", "--mixed_precision", "no",
                            "shard_probe.py", "model"], capture_output=True, text=True, cwd=str(job), env=env, timeout=900)
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
        ranks = [json.loads(m) for m in re.findall(r"SHARDS (\{[^}]*\})", r.stdout)]  # the two processes' lines may interleave
        assert sorted(x["rank"] for x in ranks) == [0, 1], r.stdout[-2000:]
        full = ranks[0]["full"]
        print(f"{mode} on CPU: {ranks[0]['type']}, parameters held per process {[x['local'] for x in ranks]} of {full}, "
              f"{ranks[0]['dtensors']} DTensors")
        assert all(x["type"] == "DistributedType.MULTI_CPU" and x["local"] == full and x["dtensors"] == 0 for x in ranks)


SHARD_PROBE = """
import json, sys, torch
from accelerate import Accelerator
from torch.distributed.tensor import DTensor
from transformers import AutoModelForCausalLM
acc = Accelerator(cpu=True)
model = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32)
full = sum(p.numel() for p in model.parameters())
opt = torch.optim.SGD(model.parameters(), lr=0.0)
model, opt = acc.prepare(model, opt)
params = list(model.parameters())
local = sum((p.to_local() if isinstance(p, DTensor) else p).numel() for p in params)
print("SHARDS " + json.dumps({"rank": acc.process_index, "local": local, "full": full, "type": str(acc.distributed_type),
                               "dtensors": sum(isinstance(p, DTensor) for p in params)}), flush=True)
"""
