"""radpo's LoRA adapters judged by PEFT 0.21: PEFT loads radpo's adapter and reproduces radpo's log-probs, radpo
loads a PEFT-written adapter likewise, and `radpo lora merge` equals PEFT's merge_and_unload. Tiny random models,
written by transformers in the test (no downloads)."""

import json
import os
import subprocess

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOL = 1e-4  # float32 engines on both sides; per-token log-prob differences are ~1e-6 in practice
IDS = [[3, 17, 5, 29, 8, 1, 40, 12, 9, 33, 2, 7], [11, 4, 4, 38, 20, 6, 15, 27, 30, 5, 19, 0]]
ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def write_base(path, kind):
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM
    torch.manual_seed(0)
    common = dict(vocab_size=48, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=64)
    if kind == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common, tie_word_embeddings=False))
    else:
        model = Qwen2ForCausalLM(Qwen2Config(**common, tie_word_embeddings=True))
    model.to(torch.float32).save_pretrained(path, safe_serialization=True)


def radpo(script):
    """Runs an ES module against radpo's built library (dist/); returns the last stdout line parsed as JSON."""
    r = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


RADPO_LOGPROBS = """
const logprobs = async (m, rows) => {
  const out = [];
  for (const row of rows) {
    const ids = Int32Array.from(row), T = ids.length, V = m.config.vocab_size;
    const lg = await m.forward(ids, 1, T);
    const lp = [];
    for (let t = 0; t + 1 < T; t++) {
      let mx = -Infinity; for (let v = 0; v < V; v++) mx = Math.max(mx, lg[t * V + v]);
      let s = 0; for (let v = 0; v < V; v++) s += Math.exp(lg[t * V + v] - mx);
      lp.push(lg[t * V + ids[t + 1]] - mx - Math.log(s));
    }
    out.push(lp);
  }
  return out;
};
"""


def torch_logprobs(model):
    model.eval()
    out = []
    with torch.no_grad():
        for row in IDS:
            lp = torch.log_softmax(model(torch.tensor([row])).logits[0].double(), -1)
            out.append([lp[t, row[t + 1]].item() for t in range(len(row) - 1)])
    return out


def max_diff(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


@pytest.mark.parametrize("kind", ["llama", "qwen2"])
def test_peft_loads_radpo_adapter(tmp_path, kind):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    base = str(tmp_path / "base")
    write_base(base, kind)
    adapter = str(tmp_path / "adapter")
    # radpo writes an adapter (PEFT init for A, random B so it is not a no-op) and scores with it attached.
    got = radpo(f"""
import {{ Model }} from '{ROOT}/dist/model/model.js';
import {{ LoraAdapter }} from '{ROOT}/dist/model/lora.js';
import {{ LoraModel }} from '{ROOT}/dist/model/lora_model.js';
import {{ saveAdapter }} from '{ROOT}/dist/model/lora_io.js';
import {{ Rng }} from '{ROOT}/dist/util/rng.js';
{RADPO_LOGPROBS}
const base = await Model.load({json.dumps(base)});
const ad = LoraAdapter.init(base.config, {{ r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: {json.dumps(ALL)} }}, 1);
const rng = new Rng(2);
for (const s of ad.slots) {{ const b = ad.params.view(s.b); for (let i = 0; i < b.length; i++) b[i] = rng.normal() * 0.3; }}
await saveAdapter({json.dumps(adapter)}, ad, {{ baseModel: {json.dumps(base)} }});
const m = new LoraModel(base, ad);
console.log(JSON.stringify(await logprobs(m, {json.dumps(IDS)})));
""")
    peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), adapter)
    want = torch_logprobs(peft_model)
    plain = torch_logprobs(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32))
    assert max_diff(want, plain) > 1e-2  # the adapter changes the model (the comparison below is not vacuous)
    print(f"[{kind}] PEFT on radpo's adapter vs radpo: max |diff| {max_diff(got, want):.2e}")
    assert max_diff(got, want) < TOL, max_diff(got, want)


@pytest.mark.parametrize("kind", ["llama", "qwen2"])
def test_radpo_loads_peft_adapter_and_merges_like_peft(tmp_path, kind):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    base = str(tmp_path / "base")
    write_base(base, kind)
    adapter = str(tmp_path / "peft_adapter")
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    pm = get_peft_model(model, LoraConfig(r=4, lora_alpha=16, lora_dropout=0.0, target_modules=ALL[:5] if kind == "llama" else ALL,
                                          task_type="CAUSAL_LM"))
    torch.manual_seed(3)
    with torch.no_grad():
        for name, p in pm.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.3)
    pm.save_pretrained(adapter)
    want = torch_logprobs(pm)
    got = radpo(f"""
import {{ Model }} from '{ROOT}/dist/model/model.js';
import {{ LoraModel }} from '{ROOT}/dist/model/lora_model.js';
import {{ loadAdapter }} from '{ROOT}/dist/model/lora_io.js';
{RADPO_LOGPROBS}
const base = await Model.load({json.dumps(base)});
const m = new LoraModel(base, loadAdapter({json.dumps(adapter)}, base.config));
console.log(JSON.stringify(await logprobs(m, {json.dumps(IDS)})));
""")
    print(f"[{kind}] radpo on PEFT's adapter vs PEFT: max |diff| {max_diff(got, want):.2e}")
    assert max_diff(got, want) < TOL, max_diff(got, want)
    # radpo lora merge -> a plain checkpoint transformers loads; equal to PEFT's merge_and_unload.
    merged = str(tmp_path / "merged")
    r = subprocess.run(["node", os.path.join(ROOT, "bin", "radpo.js"), "lora", "merge", adapter, "--base", base, "-o", merged],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    ours = torch_logprobs(AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32))
    theirs = torch_logprobs(pm.merge_and_unload())
    print(f"[{kind}] radpo lora merge vs PEFT merge_and_unload: max |diff| {max_diff(ours, theirs):.2e}")
    assert max_diff(ours, theirs) < TOL, max_diff(ours, theirs)
