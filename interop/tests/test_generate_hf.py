"""radpo generate and radpo export gguf against the Python references: transformers' greedy generate() on a
left-padded batch (same checkpoint, same tokenizer.json) and the gguf package reading radpo's GGUF back."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

ROOT = Path(__file__).resolve().parents[2]


def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tokenizer_json():
    m = bytes_to_unicode()
    vocab = {m[b]: b for b in range(256)}
    g = m[32]
    merges = [[g, "t"], ["h", "e"], [g + "t", "he"], ["i", "n"]]
    for i, (a, b) in enumerate(merges):
        vocab[a + b] = 256 + i
    bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 260, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None, "pre_tokenizer": bl, "post_processor": bl, "decoder": bl,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


SHAPE = dict(vocab_size=261, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, rms_norm_eps=1e-5, max_position_embeddings=128, eos_token_id=260,
             pad_token_id=260, bos_token_id=None)


def make_model(kind: str, path: Path):
    torch.manual_seed(0)
    if kind == "llama":
        model = LlamaForCausalLM(LlamaConfig(**SHAPE, tie_word_embeddings=False))
    else:
        model = Qwen2ForCausalLM(Qwen2Config(**SHAPE, tie_word_embeddings=True))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif "embed" in name:
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(0.15 * torch.randn_like(p))
    model.save_pretrained(path, safe_serialization=True)
    (path / "tokenizer.json").write_text(json.dumps(tokenizer_json()))
    (path / "tokenizer_config.json").write_text(json.dumps(
        {"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "tokenizer_class": "PreTrainedTokenizerFast"}))
    return model.eval()


def radpo_cli(module: str, export: str, args: list[str]) -> str:
    code = (f"const m = await import('./src/cli/commands/{module}.ts'); "
            f"process.exitCode = await m.{export}.run(process.argv.slice(1));")
    r = subprocess.run(["node", "--import", "tsx", "--input-type=module", "--eval", code, "--", *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    return r.stdout


@pytest.mark.parametrize("kind", ["llama", "qwen2"])
def test_greedy_generate_matches_transformers(kind, tmp_path):
    model = make_model(kind, tmp_path / "m")
    tok = PreTrainedTokenizerFast(tokenizer_file=str(tmp_path / "m" / "tokenizer.json"), eos_token="<|endoftext|>",
                                  pad_token="<|endoftext|>", padding_side="left")
    prompts = ["the thin", "hello there, in the", "x", "thin thin thin the"]
    inp = tmp_path / "p.jsonl"
    inp.write_text("".join(json.dumps({"prompt": p, "k": i}) + "\n" for i, p in enumerate(prompts)))
    out = tmp_path / "o.jsonl"
    radpo_cli("generate", "generateCommand",
              ["--model", str(tmp_path / "m"), "--input", str(inp), "-o", str(out), "--max_new_tokens", "10",
               "--batch_size", "3"])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    enc = tok(prompts, return_tensors="pt", padding=True)
    with torch.no_grad():
        gen = model.generate(**enc, max_new_tokens=10, do_sample=False, eos_token_id=260, pad_token_id=260)
    for i, row in enumerate(rows):
        assert row["k"] == i and row["prompt"] == prompts[i]
        new = gen[i, enc["input_ids"].shape[1]:].tolist()
        if 260 in new:
            new = new[: new.index(260) + 1]
        assert row["completion_tokens"] == len(new), (i, row, new)
        assert row["completion"] == tok.decode(new, skip_special_tokens=True)
    assert max(r["completion_tokens"] for r in rows) >= 5  # a real comparison, not four immediate EOS


def hf_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf permutation (rotate-half -> interleaved rows), written from its description."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


@pytest.mark.parametrize("kind", ["llama", "qwen2"])
def test_gguf_reads_back_with_the_gguf_package(kind, tmp_path):
    gguf = pytest.importorskip("gguf")
    model = make_model(kind, tmp_path / "m")
    f = tmp_path / "m.gguf"
    radpo_cli("export_gguf", "exportGgufCommand", ["--model", str(tmp_path / "m"), "-o", str(f)])
    r = gguf.GGUFReader(str(f))
    field = lambda k: r.fields[k]  # noqa: E731
    arch = bytes(field("general.architecture").parts[-1]).decode()
    assert arch == kind
    assert int(field(f"{arch}.block_count").parts[-1][0]) == 2
    assert int(field(f"{arch}.attention.head_count_kv").parts[-1][0]) == 2
    assert len(field("tokenizer.ggml.tokens").data) == 261
    tensors = {t.name: t for t in r.tensors}
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    q = sd["model.layers.1.self_attn.q_proj.weight"]
    k = sd["model.layers.1.self_attn.k_proj.weight"]
    want_q = hf_permute(q, 4) if kind == "llama" else q
    want_k = hf_permute(k, 2) if kind == "llama" else k
    np.testing.assert_array_equal(np.asarray(tensors["blk.1.attn_q.weight"].data).reshape(q.shape), want_q)
    np.testing.assert_array_equal(np.asarray(tensors["blk.1.attn_k.weight"].data).reshape(k.shape), want_k)
    np.testing.assert_array_equal(np.asarray(tensors["blk.0.ffn_down.weight"].data).reshape(64, 96),
                                  sd["model.layers.0.mlp.down_proj.weight"])
    assert ("output.weight" in tensors) == (kind == "llama")
    if kind == "qwen2":
        np.testing.assert_array_equal(np.asarray(tensors["blk.0.attn_k.bias"].data),
                                      sd["model.layers.0.self_attn.k_proj.bias"])
