# `radpo relabel` and `radpo score` against transformers: two tiny random Llama checkpoints written by transformers
# (chatml fixture tokenizer); implicit rewards beta * (log pi - log pi_ref) and per-goal verifier log-likelihoods are
# recomputed here in float64 with TRL-style tokenization (prompt tokens = the common prefix, completion scored).
import json
import os
import pathlib
import subprocess

import pytest
import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("RADPO_SHARED", ROOT.parent / "shared"))
FIX = ROOT / "interop/fixtures/tokenizers/chatml"
SOURCES = ["pipeline/relabel", "pipeline/score", "verify/model_scoring", "verify/implicit_reward", "verify/verifier",
           "data/relabel", "data/relabel_scale", "cli/commands/relabel", "cli/commands/score", "cli/main"]
BETA = 0.3


@pytest.fixture(scope="module")
def radpo_cli():
    stale = [s for s in SOURCES if not (ROOT / f"dist/{s}.js").exists()
             or (ROOT / f"src/{s}.ts").stat().st_mtime > (ROOT / f"dist/{s}.js").stat().st_mtime]
    if stale:
        subprocess.run(["npx", "tsc", "-p", "tsconfig.build.json"], cwd=ROOT, capture_output=True)  # others' type errors do not block emit
    assert (ROOT / "dist/cli/commands/relabel.js").exists()
    return ["node", str(ROOT / "bin/radpo.js")]


def tiny_model(seed, tok, path):
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=2048, initializer_range=0.2, rms_norm_eps=1e-6,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).float().eval()
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return model.double()


def pairs():
    out = []
    with open(SHARED / "data/real/trl-conversational-implicit/ultrafeedback_binarized_test_prefs_first500.chosen_rejected.jsonl") as f:
        for line in list(f)[:5]:
            r = json.loads(line)
            cut = lambda msgs: [{"role": m["role"], "content": m["content"][:120]} for m in msgs]
            out.append({"chosen": cut(r["chosen"]), "rejected": cut(r["rejected"]), "score_chosen": 8, "score_rejected": 4})
    return out


def logp(model, tok, prompt, completion):
    """Sum of log p(completion tokens) in float64, prompt tokens = common prefix of prompt and prompt+completion."""
    p = tok.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
    full = tok.apply_chat_template(prompt + completion, tokenize=True, return_dict=True)["input_ids"]
    k = 0
    while k < min(len(p), len(full)) and p[k] == full[k]:
        k += 1
    with torch.no_grad():
        lp = torch.log_softmax(model(torch.tensor([full])).logits[0].double(), -1)
    return sum(lp[t - 1, full[t]].item() for t in range(max(k, 1), len(full)))


def test_relabel_implicit_rewards_match_transformers(radpo_cli, tmp_path):
    tok = AutoTokenizer.from_pretrained(FIX)
    pol = tiny_model(0, tok, tmp_path / "policy")
    ref = tiny_model(1, tok, tmp_path / "ref")
    data = pairs()
    inp, out = tmp_path / "pairs.jsonl", tmp_path / "relabeled.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in data))
    r = subprocess.run(radpo_cli + ["relabel", "--policy", str(tmp_path / "policy"), "--reference", str(tmp_path / "ref"),
                                    "--beta", str(BETA), str(inp), "-o", str(out), "--scale_method", "minmax", "--reorder", "keep"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(got) == len(data)
    worst = 0.0
    rewards = []
    for row, g in zip(data, got):
        prompt = row["chosen"][:-1]  # implicit-prompt rows: the shared first turn
        for side in ("chosen", "rejected"):
            want = BETA * (logp(pol, tok, prompt, row[side][-1:]) - logp(ref, tok, prompt, row[side][-1:]))
            worst = max(worst, abs(g[f"implicit_reward_{side}"] - want))
            rewards.append(want)
        assert g["original_score_chosen"] == 8 and g["original_score_rejected"] == 4
    # radpo runs the forward in float32, batched and right-padded; the reference in float64, one row at a time.
    assert worst < 1e-4 * BETA * 50, worst
    # minmax on the float64 rewards gives the same goals (no reward sits within 1e-3 of a rounding boundary here)
    lo, hi = min(rewards), max(rewards)
    want_scores = [1 + round((x - lo) / (hi - lo) * 9 + 1e-12) for x in rewards]
    assert [s for g in got for s in (g["score_chosen"], g["score_rejected"])] == want_scores
    print(f"relabel: max |radpo - transformers| implicit reward = {worst:.2e}")


def test_score_goal_likelihoods_match_transformers(radpo_cli, tmp_path):
    tok = AutoTokenizer.from_pretrained(FIX)
    model = tiny_model(2, tok, tmp_path / "model")
    data = pairs()[:3]
    inp, out = tmp_path / "pairs.jsonl", tmp_path / "scored.jsonl"
    inp.write_text("".join(json.dumps(r) + "\n" for r in data))
    r = subprocess.run(radpo_cli + ["score", "--model", str(tmp_path / "model"), str(inp), "-o", str(out),
                                    "--scale_min", "1", "--scale_max", "4"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = [json.loads(l) for l in out.read_text().splitlines()]
    header = ("You are an assistant that generates responses for the instruction while implicitly achieving the following "
              "target scores (on a scale of 1-4, where 1 is lowest and 4 is highest):\nOverall score: {g}.")
    for row, g in zip(data, got):
        prompt = row["chosen"][:-1]
        lls = [logp(model, tok, [{"role": "system", "content": header.format(g=goal)}] + prompt, row["chosen"][-1:]) for goal in (1, 2, 3, 4)]
        post = torch.softmax(torch.tensor(lls, dtype=torch.float64), 0).tolist()
        # float32 forward in radpo vs float64 here: posteriors agree to ~1e-4
        assert max(abs(a - b) for a, b in zip(g["verifier_probs_chosen"], post)) < 1e-3
        assert g["verifier_score_chosen"] == 1 + max(range(4), key=lambda i: lls[i])
        assert abs(g["verifier_expected_chosen"] - sum((i + 1) * p for i, p in enumerate(post))) < 1e-3
