# `radpo logprobs` against transformers: tiny random llama / mistral / qwen2 checkpoints written by transformers (with
# the fixture tokenizers saved by save_pretrained), raw-text and conversational rows, per-token log-probs within 1e-4.
import json
import os
import pathlib
import subprocess

import pytest
import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("RADPO_SHARED", ROOT.parent / "shared"))
FIX = ROOT / "interop/fixtures/tokenizers"
SOURCES = ["model/tokenizer", "model/tok_speed", "model/chat_template", "model/tokenize_pair", "model/logprobs", "cli/commands/logprobs", "cli/main"]

CASES = {  # model family, tokenizer fixture
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, "chatml", {"tie_word_embeddings": True}),
    "llama": (LlamaConfig, LlamaForCausalLM, "llama3", {"tie_word_embeddings": False}),
    "mistral": (MistralConfig, MistralForCausalLM, "mistral", {"tie_word_embeddings": False, "sliding_window": None}),
    "llama-gemma-tok": (LlamaConfig, LlamaForCausalLM, "gemma", {"tie_word_embeddings": True}),
}


@pytest.fixture(scope="session")
def radpo_cli():
    stale = [s for s in SOURCES if not (ROOT / f"dist/{s}.js").exists()
             or (ROOT / f"src/{s}.ts").stat().st_mtime > (ROOT / f"dist/{s}.js").stat().st_mtime]
    if stale:
        subprocess.run(["npx", "tsc", "-p", "tsconfig.build.json"], cwd=ROOT, capture_output=True)  # others' type errors do not block emit
    assert (ROOT / "dist/cli/commands/logprobs.js").exists()
    return ["node", str(ROOT / "bin/radpo.js")]


def rows():
    out = []
    with open(SHARED / "data/real/trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl") as f:
        for line in list(f)[:6]:
            r = json.loads(line)
            out.append({"prompt": r["prompt"][:200] + "\n", "completion": r["chosen"][:120]})
    with open(SHARED / "data/real/trl-conversational-implicit/ultrafeedback_binarized_test_prefs_first500.chosen_rejected.jsonl") as f:
        for line in list(f)[:6]:
            msgs = [{"role": m["role"], "content": m["content"][:150]} for m in json.loads(line)["chosen"]]
            out.append({"prompt": msgs[:1], "completion": msgs[1:2]})
    return out


def reference(model, tok, row):
    """TRL-style tokenization + one-row float64 forward: log p(token_t | <t) on completion tokens."""
    if isinstance(row["prompt"], list):
        p = tok.apply_chat_template(row["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
        full = tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=True, return_dict=True)["input_ids"]
    else:
        p = tok(row["prompt"])["input_ids"]
        full = tok(row["prompt"] + row["completion"])["input_ids"]
        if full[-1] != tok.eos_token_id:
            full = full + [tok.eos_token_id]
    k = 0
    while k < min(len(p), len(full)) and p[k] == full[k]:
        k += 1
    with torch.no_grad():
        logits = model(torch.tensor([full])).logits[0].double()
    lp = torch.log_softmax(logits, -1)
    return [lp[t - 1, full[t]].item() for t in range(max(k, 1), len(full))]


@pytest.mark.parametrize("case", list(CASES))
def test_logprobs_match_transformers(radpo_cli, tmp_path, case):
    cfg_cls, model_cls, fam, extra = CASES[case]
    tok = AutoTokenizer.from_pretrained(FIX / fam)
    torch.manual_seed(0)
    cfg = cfg_cls(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=1024, initializer_range=0.2, rms_norm_eps=1e-6,
                  bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **extra)
    model = model_cls(cfg).float().eval()
    mdir = tmp_path / "model"
    model.save_pretrained(mdir)
    tok.save_pretrained(mdir)  # transformers 5 layout: chat_template.jinja beside tokenizer_config.json
    data = rows()
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in data))
    r = subprocess.run(radpo_cli + ["logprobs", "--model", str(mdir), "--input", str(inp), "-o", str(out), "--batch_size", "4"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(got) == len(data)
    model = model.double()
    worst = 0.0
    for row, g in zip(data, got):
        assert g["prompt"] == row["prompt"]  # input order and fields kept
        want = reference(model, tok, row)
        assert g["num_tokens"] == len(want)
        for a, b in zip(g["token_logprobs"], want):
            worst = max(worst, abs(a - b))
        assert abs(g["completion_logprob"] - sum(want)) < 1e-4 * max(1, len(want))
    # radpo computes in float32 (batched, right-padded); the reference in float64 one row at a time.
    assert worst < 1e-4, worst
    print(f"{case}: max |radpo - transformers| per token = {worst:.2e}")
