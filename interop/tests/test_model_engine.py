"""radpo's Llama-family engine against transformers: per-token log-probs (1e-4) and loss gradients of every
parameter, for tiny random llama / mistral / qwen2 checkpoints written by transformers and checkpoints written by radpo."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config

ROOT = Path(__file__).resolve().parents[2]
TSX = str(ROOT / "node_modules" / ".bin" / "tsx")
DUMP = str(ROOT / "interop" / "radpo_model_dump.ts")

SHAPE = dict(vocab_size=97, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, rms_norm_eps=1e-5)
CONFIGS = {
    # tied head, llama3 rope scaling, attention_bias (q/k/v/o biases)
    "llama": lambda: LlamaConfig(**SHAPE, tie_word_embeddings=True, attention_bias=True,
                                 rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                  "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                  "original_max_position_embeddings": 16},
                                 max_position_embeddings=64),
    # sliding window smaller than the sequence, so the window mask bites
    "mistral": lambda: MistralConfig(**SHAPE, sliding_window=5, head_dim=16),
    # q/k/v biases, untied head
    "qwen2": lambda: Qwen2Config(**SHAPE),
}

B, T = 3, 10


def radpo(request: dict, tmp: Path) -> None:
    req = tmp / f"req-{os.getpid()}-{len(list(tmp.iterdir()))}.json"
    req.write_text(json.dumps(request))
    r = subprocess.run([TSX, DUMP, str(req)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]


def batch(vocab: int):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 7:] = 0  # right padding
    mask[2, :3] = 0  # left padding
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    # targets: real tokens whose previous token is real too (a left-padded row's first token is scored from a pad
    # position, whose fully masked attention row is implementation-defined)
    target = mask.clone()
    target[:, 1:] &= mask[:, :-1]
    target[:, 0] = 0
    return ids, mask, pos, target


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Non-trivial norm weights and biases, so every parameter influences the output."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith("bias"):
                p.add_(0.3 * torch.randn(p.shape, generator=g))


def hf_outputs(model, ids, mask, pos, target):
    model.zero_grad()
    labels = ids.masked_fill(target == 0, -100)
    # use_cache=False as in training: transformers detects packed sequences only without a cache
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, labels=labels, use_cache=False)
    out.loss.backward()
    lp = torch.log_softmax(out.logits.double(), -1)[:, :-1].gather(-1, ids[:, 1:, None])[..., 0]
    grads = {n: p.grad.detach().numpy().copy() for n, p in model.named_parameters()}
    return lp.detach().numpy(), out.loss.item(), grads


def radpo_outputs(model_dir: Path, ids, mask, pos, target, tmp: Path):
    out = tmp / f"out-{model_dir.name}"
    req = {"op": "run", "model": str(model_dir), "ids": ids.tolist(), "position_ids": pos.tolist(),
           "labels_mask": target.tolist(), "out_dir": str(out)}
    if mask is not None:
        req["attention_mask"] = mask.tolist()
    radpo(req, tmp)
    res = json.loads((out / "result.json").read_text())
    logits = np.fromfile(out / "logits.f32", dtype=np.float32).reshape(B, T, res["V"]).astype(np.float64)
    lse = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    lp = np.take_along_axis(logits[:, :-1], ids[:, 1:, None].numpy(), -1)[..., 0] - lse[:, :-1]
    return lp, res["loss"], load_file(str(out / "grads.safetensors"))


def compare(hf_model, model_dir: Path, tmp: Path, inputs=None):
    ids, mask, pos, target = inputs or batch(hf_model.config.vocab_size)
    hlp, hloss, hgrads = hf_outputs(hf_model, ids, mask, pos, target)
    rlp, rloss, rgrads = radpo_outputs(model_dir, ids, mask, pos, target, tmp)
    real = (target[:, 1:] == 1).numpy()  # token t+1 is scored from a real position t
    diff = np.abs(hlp - rlp)[real]
    assert diff.max() < 1e-4, f"per-token log-prob max diff {diff.max()}"
    assert abs(hloss - rloss) < 1e-5
    tied = getattr(hf_model.config, "tie_word_embeddings", False)
    for name, g in hgrads.items():
        if tied and name == "lm_head.weight":
            continue  # same tensor as the embedding in transformers; radpo stores it once
        assert name in rgrads, f"radpo has no gradient for {name}"
        scale = np.abs(g).max() + 1e-8
        # both float32 with different summation orders over ~10 ops: 1e-3 of the tensor's largest gradient
        err = np.abs(g - rgrads[name]).max() / scale
        assert err < 1e-3, f"{name}: relative gradient error {err}"
    assert set(rgrads) <= set(hgrads)
    worst = max(np.abs(g - rgrads[n]).max() / (np.abs(g).max() + 1e-8) for n, g in hgrads.items() if n in rgrads)
    print(f"{model_dir.name}: max |dlogp| {diff.max():.2e}, |dloss| {abs(hloss - rloss):.2e}, worst relative grad error {worst:.2e}")
    return diff.max()


@pytest.mark.parametrize("arch", sorted(CONFIGS))
def test_transformers_checkpoint(arch, tmp_path):
    torch.manual_seed(0)
    cfg = CONFIGS[arch]()
    model = AutoModelForCausalLM.from_config(cfg, attn_implementation="eager").float()
    randomize(model, 1)
    model.save_pretrained(tmp_path / arch)
    compare(model, tmp_path / arch, tmp_path)


def packed_batch(vocab: int):
    """Packed rows (SFT packing, TRL's padding-free layout): no attention mask, position ids restarting at each
    sequence; transformers then keeps attention inside each sequence (find_packed_sequence_indices)."""
    g = torch.Generator().manual_seed(2)
    ids = torch.randint(0, vocab, (B, T), generator=g)
    lengths = [[4, 3, 3], [6, 4], [2, 8]]
    pos = torch.tensor([[i for n in row for i in range(n)] for row in lengths])
    target = (pos > 0).long()  # a sequence's first token would be scored from the previous sequence
    return ids, None, pos, target


@pytest.mark.parametrize("arch", sorted(CONFIGS))
def test_packed_sequences_match_transformers(arch, tmp_path):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(CONFIGS[arch](), attn_implementation="eager").float()
    randomize(model, 3)
    model.save_pretrained(tmp_path / arch)
    compare(model, tmp_path / arch, tmp_path, packed_batch(model.config.vocab_size))


@pytest.mark.parametrize("arch", sorted(CONFIGS))
def test_radpo_checkpoint_loads_in_transformers(arch, tmp_path):
    cfg = CONFIGS[arch]().to_dict()
    cfg = {k: v for k, v in cfg.items() if k not in ("architectures", "dtype", "torch_dtype")}
    cfg["initializer_range"] = 0.2
    radpo({"op": "init", "config": cfg, "seed": 3, "out": str(tmp_path / "r")}, tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "r", attn_implementation="eager").float()
    assert type(model).__name__.lower().startswith(arch)
    compare(model, tmp_path / "r", tmp_path)


def test_radpo_bf16_checkpoint(tmp_path):
    cfg = {k: v for k, v in CONFIGS["qwen2"]().to_dict().items() if k not in ("architectures", "dtype", "torch_dtype")}
    radpo({"op": "init", "config": cfg, "seed": 4, "out": str(tmp_path / "b"), "dtype": "BF16"}, tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "b")
    assert next(model.parameters()).dtype == torch.bfloat16
    compare(model.float(), tmp_path / "b", tmp_path)


def test_sharded_and_f16_transformers_checkpoints(tmp_path):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(CONFIGS["qwen2"](), attn_implementation="eager").float()
    randomize(model, 2)
    model.save_pretrained(tmp_path / "sharded", max_shard_size="40KB")
    assert (tmp_path / "sharded" / "model.safetensors.index.json").exists()
    compare(model, tmp_path / "sharded", tmp_path)
    half = model.half()
    half.save_pretrained(tmp_path / "f16")
    compare(half.float(), tmp_path / "f16", tmp_path)  # radpo reads F16 exactly into fp32


def test_radpo_init_folder_loads_in_transformers(tmp_path):
    """`radpo init` output: transformers loads model and tokenizer unchanged, and both engines agree on it."""
    from transformers import AutoTokenizer
    spec = json.loads((ROOT / "configs" / "small.json").read_text())
    spec.update(hidden_size=64, intermediate_size=96, num_hidden_layers=2, vocab_size=300,
                tokenizer={"kind": "byte_bpe", "vocab_size": 300, "corpus": ["hello world, hello there"] * 5})
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    radpo({"op": "cli", "argv": ["init", "--config", str(tmp_path / "spec.json"), "-o", str(tmp_path / "m"), "--seed", "5"]}, tmp_path)
    tok = AutoTokenizer.from_pretrained(tmp_path / "m")
    ids = tok("hello world")["input_ids"]
    assert tok.decode(ids) == "hello world" and max(ids) < 300
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "m", attn_implementation="eager").float()
    assert model.config.vocab_size == 300 and model.config.eos_token_id == tok.eos_token_id
    compare(model, tmp_path / "m", tmp_path)
