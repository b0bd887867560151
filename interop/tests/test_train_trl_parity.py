"""radpo's trainers against TRL 1.16's DPOTrainer and transformers' causal-LM loss, on tiny random Llama checkpoints
written by transformers and the same token ids: first-step loss and metrics (1e-4) for sigmoid, ipo, hinge, robust;
a 6-step trajectory (stated tolerance); SFT loss with the same completion-only masking.

label_smoothing: radpo's sigmoid applies it as conservative DPO (TRL <= 0.x, the paper's TRL 0.8.2); TRL 1.16 ignores
it for sigmoid, so sigmoid parity runs with label_smoothing 0 and robust (where both use it) with 0.1."""
import json
import os
import subprocess
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
from trl import DPOConfig, DPOTrainer

ROOT = Path(__file__).resolve().parents[2]
TSX = str(ROOT / "node_modules" / ".bin" / "tsx")
CLI = str(ROOT / "test" / "train" / "cli_child.ts")
TOK = ROOT / "interop" / "fixtures" / "tokenizers" / "chatml"
N = 8  # pairs; one batch holds them all, so the data order of either sampler does not matter


def radpo(args: list[str]) -> None:
    r = subprocess.run([TSX, CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]


def tiny_model(path: Path, seed: int, vocab: int) -> None:
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5, tie_word_embeddings=False,
                      initializer_range=0.2)
    torch.manual_seed(seed)
    m = LlamaForCausalLM(cfg).to(torch.float32)
    with torch.no_grad():  # non-unit norm weights so every parameter matters
        for n, p in m.named_parameters():
            if "norm" in n:
                p.add_(0.1 * torch.randn_like(p))
    m.save_pretrained(path)


def pairs(vocab: int) -> list[dict]:
    g = torch.Generator().manual_seed(3)
    ids = lambda lo, hi: torch.randint(3, vocab, (int(torch.randint(lo, hi + 1, (1,), generator=g)),), generator=g).tolist()
    return [{"prompt_ids": ids(2, 6), "chosen_ids": ids(1, 7), "rejected_ids": ids(1, 7)} for _ in range(N)]


class PreTokenized(DPOTrainer):
    """Rows already carry prompt_ids / chosen_ids / rejected_ids (TRL's own tokenized columns)."""

    def _prepare_dataset(self, dataset, *args, **kwargs):
        return dataset


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train_parity")
    tok = AutoTokenizer.from_pretrained(TOK)
    vocab = len(tok)
    tiny_model(tmp / "policy", 0, vocab)
    tiny_model(tmp / "ref", 1, vocab)  # a different reference, so first-step rewards are not all zero
    rows = pairs(vocab)
    data = tmp / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp, tok, rows, data


def run_trl(tmp: Path, tok, rows, loss_type: str, ls: float, steps: int) -> list[dict]:
    args = DPOConfig(output_dir=str(tmp / f"trl-{loss_type}"), per_device_train_batch_size=N, max_steps=steps,
                     learning_rate=1e-3, lr_scheduler_type="linear", logging_steps=1, beta=0.1, loss_type=[loss_type],
                     label_smoothing=ls, bf16=False, fp16=False, gradient_checkpointing=False, report_to=[],
                     use_cpu=True, optim="adamw_torch", seed=0, save_strategy="no", max_length=None,
                     disable_tqdm=True)
    policy = LlamaForCausalLM.from_pretrained(tmp / "policy", dtype=torch.float32)
    ref = LlamaForCausalLM.from_pretrained(tmp / "ref", dtype=torch.float32)
    t = PreTokenized(model=policy, ref_model=ref, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
    t.train()
    return [h for h in t.state.log_history if "loss" in h]


def run_radpo(tmp: Path, data: Path, loss_type: str, ls: float, steps: int) -> list[dict]:
    out = tmp / f"radpo-{loss_type}"
    radpo(["train", "dpo", "--model_name_or_path", str(tmp / "policy"), "--ref_model_name_or_path", str(tmp / "ref"),
           "--dataset_name", str(data), "--output_dir", str(out), "--per_device_train_batch_size", str(N),
           "--max_steps", str(steps), "--learning_rate", "1e-3", "--lr_scheduler_type", "linear", "--logging_steps", "1",
           "--beta", "0.1", "--loss_type", loss_type, "--label_smoothing", str(ls), "--seed", "0", "--save_strategy", "no",
           "--disable_tqdm"])
    return [json.loads(l) for l in (out / "metrics.jsonl").read_text().splitlines() if l.strip()]


KEYS = ["loss", "grad_norm", "learning_rate", "rewards/chosen", "rewards/rejected", "rewards/margins",
        "rewards/accuracies", "logps/chosen", "logps/rejected", "num_tokens", "epoch"]
STEPS = 6


@pytest.mark.parametrize("loss_type,ls", [("sigmoid", 0.0), ("ipo", 0.0), ("hinge", 0.0), ("robust", 0.1)])
def test_dpo_first_step_and_trajectory_match_trl(setup, loss_type, ls):
    tmp, tok, rows, data = setup
    trl = run_trl(tmp, tok, rows, loss_type, ls, STEPS)
    ours = run_radpo(tmp, data, loss_type, ls, STEPS)
    assert len(trl) == len(ours) == STEPS
    worst = {k: max(abs(ours[i][k] - trl[i][k]) / max(1.0, abs(trl[i][k])) for i in range(STEPS)) for k in KEYS}
    print(f"\n{loss_type}: step-1 loss radpo {ours[0]['loss']:.8f} TRL {trl[0]['loss']:.8f}; worst relative diff over {STEPS} steps: "
          + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    # first step: same weights, same ids -> float32 forward differences only (~1e-6); 1e-4 is the bar
    for k in KEYS:
        a, b = ours[0][k], trl[0][k]
        assert abs(a - b) <= 1e-4 * max(1.0, abs(b)), f"step 1 {k}: radpo {a} vs TRL {b}"
    # trajectory: Adam steps amplify float32 rounding a little each step (lr 1e-3 on a tiny model); after 6 steps
    # 1e-3 relative on the loss and the rewards covers it, while a wrong update (lr, decay, clipping, bias
    # correction) moves them by far more
    for i in range(STEPS):
        for k in ["loss", "rewards/margins", "logps/chosen", "grad_norm", "learning_rate"]:
            a, b = ours[i][k], trl[i][k]
            assert abs(a - b) <= 1e-3 * max(1.0, abs(b)), f"step {i + 1} {k}: radpo {a} vs TRL {b}"


def test_sft_loss_matches_transformers_causal_lm_loss(setup):
    tmp, tok, rows, _ = setup
    ex = [{"input_ids": r["prompt_ids"] + r["chosen_ids"], "completion_mask": [0] * len(r["prompt_ids"]) + [1] * len(r["chosen_ids"])} for r in rows]
    data = tmp / "sft.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in ex))
    out = tmp / "radpo-sft"
    radpo(["train", "sft", "--model_name_or_path", str(tmp / "policy"), "--dataset_name", str(data), "--output_dir", str(out),
           "--per_device_train_batch_size", str(N), "--max_steps", "1", "--logging_steps", "1", "--save_strategy", "no", "--disable_tqdm"])
    ours = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    T = max(len(e["input_ids"]) for e in ex)
    ids = torch.zeros(N, T, dtype=torch.long)
    att = torch.zeros(N, T, dtype=torch.long)
    labels = torch.full((N, T), -100)
    for b, e in enumerate(ex):
        L = len(e["input_ids"])
        ids[b, :L] = torch.tensor(e["input_ids"])
        att[b, :L] = 1
        labels[b, :L] = torch.where(torch.tensor(e["completion_mask"]) == 1, ids[b, :L], -100)
    m = LlamaForCausalLM.from_pretrained(tmp / "policy", dtype=torch.float32)
    with torch.no_grad():
        ref_loss = m(input_ids=ids, attention_mask=att, labels=labels).loss.item()
    # mean NLL over the same completion tokens; float32 forward differences only
    assert abs(ours["loss"] - ref_loss) <= 1e-5 * max(1.0, ref_loss), f"radpo {ours['loss']} vs transformers {ref_loss}"
