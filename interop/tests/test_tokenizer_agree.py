# radpo's tokenizers and chat templates against transformers' AutoTokenizer (the outside judge): token ids of plain
# text, chat-template renderings + ids, prompt/completion boundaries, and tokenizers built by radpo's buildTokenizer.
import gzip
import json
import os
import pathlib
import subprocess

import pytest
from transformers import AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("RADPO_SHARED", ROOT.parent / "shared"))
FIX = ROOT / "interop/fixtures/tokenizers"
FAMILIES = ["chatml", "llama3", "mistral", "gemma"]
SOURCES = ["model/tokenizer", "model/tok_speed", "model/chat_template", "model/tokenize_pair", "model/tokenizer_build", "model/tok_bpe_train",
           "model/logprobs", "cli/commands/logprobs", "index"]


@pytest.fixture(scope="session")
def radpo_dist():
    """dist/ built from the current sources (rebuilt when any of this area's sources is newer)."""
    stale = [s for s in SOURCES if not (ROOT / f"dist/{s}.js").exists()
             or (ROOT / f"src/{s}.ts").stat().st_mtime > (ROOT / f"dist/{s}.js").stat().st_mtime]
    if stale:
        subprocess.run(["npx", "tsc", "-p", "tsconfig.build.json"], cwd=ROOT, capture_output=True)  # others' type errors do not block emit
    missing = [s for s in SOURCES if not (ROOT / f"dist/{s}.js").exists()]
    assert not missing, f"build did not produce {missing}"
    return ROOT / "dist"


def probe(req):
    r = subprocess.run(["node", "interop/fixtures/tokenizer_probe.mjs"], cwd=ROOT, input=json.dumps(req),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def real_texts(n=40):
    texts = []
    with open(SHARED / "data/real/hh-rlhf/harmless-base_test.first200.jsonl") as f:
        for line in list(f)[150:150 + n]:
            texts.append(json.loads(line)["chosen"])
    with open(SHARED / "data/real/eval-prompts/mt-bench/question.jsonl") as f:
        for line in list(f)[:n]:
            texts.extend(json.loads(line)["turns"])
    texts += ["", " ", "\n\n", "  double  spaces ", "tab\tnewline\r\n", "ünïcödé 😀 中文 مرحبا", "<s><s>[INST]", "x<|im_end|>y"]
    return texts


def real_conversations(n=25):
    convs = []
    with open(SHARED / "data/real/trl-conversational-implicit/ultrafeedback_binarized_test_prefs_first500.chosen_rejected.jsonl") as f:
        for line in list(f)[:n]:
            msgs = json.loads(line)["chosen"]
            convs.append([{"role": m["role"], "content": m["content"][:600]} for m in msgs])
    return convs


@pytest.mark.parametrize("fam", FAMILIES)
def test_plain_text_ids_and_decoding_agree(radpo_dist, fam):
    tok = AutoTokenizer.from_pretrained(FIX / fam)
    texts = real_texts()
    got = probe({"dir": str(FIX / fam), "texts": texts})
    assert got["special"]["bos"] == tok.bos_token_id and got["special"]["eos"] == tok.eos_token_id
    assert got["special"]["pad"] == tok.pad_token_id and got["special"]["vocab_size"] == len(tok)
    for t, g in zip(texts, got["texts"]):
        ids = tok(t)["input_ids"]
        assert g["ids"] == ids, t[:80]
        assert g["ids_no_special"] == tok(t, add_special_tokens=False)["input_ids"], t[:80]
        assert g["decoded"] == tok.decode(ids), t[:80]
        assert g["decoded_skip"] == tok.decode(ids, skip_special_tokens=True), t[:80]


@pytest.mark.parametrize("fam", FAMILIES)
def test_chat_template_rendering_and_ids_agree(radpo_dist, fam):
    tok = AutoTokenizer.from_pretrained(FIX / fam)
    chats = []
    for conv in real_conversations():
        chats.append({"messages": conv, "add_generation_prompt": False})
        chats.append({"messages": conv[:1], "add_generation_prompt": True})
    tools = [{"type": "function", "function": {"name": "lookup", "description": "Look up a word",
              "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]}}}]
    if fam in ("chatml", "llama3"):
        chats.append({"messages": [{"role": "system", "content": "Be brief."}] + real_conversations(1)[0], "add_generation_prompt": False})
    if fam == "chatml":
        chats.append({"messages": real_conversations(1)[0][:1], "add_generation_prompt": True, "tools": tools})
    got = probe({"dir": str(FIX / fam), "chats": chats})
    for c, g in zip(chats, got["chats"]):
        text = tok.apply_chat_template(c["messages"], tokenize=False, add_generation_prompt=c["add_generation_prompt"], tools=c.get("tools"))
        ids = tok.apply_chat_template(c["messages"], tokenize=True, add_generation_prompt=c["add_generation_prompt"],
                                      tools=c.get("tools"), return_dict=True)["input_ids"]
        assert g.get("error") is None, g
        assert g["text"] == text
        assert g["ids"] == ids


@pytest.mark.parametrize("fam", ["gemma", "mistral"])
def test_system_role_refused_by_both(radpo_dist, fam):
    tok = AutoTokenizer.from_pretrained(FIX / fam)
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    with pytest.raises(Exception):
        tok.apply_chat_template(msgs, tokenize=False)
    got = probe({"dir": str(FIX / fam), "chats": [{"messages": msgs}]})
    assert "does not accept a system message" in got["chats"][0]["error"]
    assert "--placement prompt" in got["chats"][0]["error"]


@pytest.mark.parametrize("fam", FAMILIES)
def test_prompt_completion_boundary_matches_trl_style_tokenization(radpo_dist, fam):
    """TRL (SFT prompt-completion): prompt ids = tokenized prompt, full ids = tokenized prompt+completion, mask = the
    rest. Where the prompt's ids are a prefix of the full ids, radpo must give exactly TRL's ids and mask."""
    tok = AutoTokenizer.from_pretrained(FIX / fam)
    pairs = []
    for conv in real_conversations(15):
        pairs.append({"prompt": conv[:1], "completion": conv[1:2]})
    with open(SHARED / "data/real/trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl") as f:
        for line in list(f)[:15]:
            row = json.loads(line)
            pairs.append({"prompt": row["prompt"][:300] + "\n", "completion": row["chosen"][:300]})
    got = probe({"dir": str(FIX / fam), "pairs": pairs})
    exact = 0
    for p, g in zip(pairs, got["pairs"]):
        if isinstance(p["prompt"], list):
            prompt_ids = tok.apply_chat_template(p["prompt"], tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
            full = tok.apply_chat_template(p["prompt"] + p["completion"], tokenize=True, return_dict=True)["input_ids"]
        else:
            prompt_ids = tok(p["prompt"])["input_ids"]
            full = tok(p["prompt"] + p["completion"])["input_ids"]
            if full[-1] != tok.eos_token_id:
                full = full + [tok.eos_token_id]
        assert g["input_ids"] == full
        if full[: len(prompt_ids)] == prompt_ids:
            exact += 1
            assert g["completion_mask"] == [0] * len(prompt_ids) + [1] * (len(full) - len(prompt_ids))
            assert not g["boundary_mismatch"]
        else:
            assert g["boundary_mismatch"]
            k = g["prompt_length"]
            assert full[:k] == prompt_ids[:k] and (k == len(prompt_ids) or prompt_ids[k] != full[k])
    assert exact >= len(pairs) // 2


@pytest.mark.parametrize("kind,vocab", [("byte_bpe", 800), ("char", None)])
def test_radpo_built_tokenizer_loads_in_transformers_with_identical_ids(radpo_dist, tmp_path, kind, vocab):
    corpus = real_texts(60)[:60]
    build = {"kind": kind, "corpus": corpus, "out": str(tmp_path / "tok")}
    if vocab:
        build["vocabSize"] = vocab
    with gzip.open(SHARED / "data/real/hh-rlhf/harmless-base_test.jsonl.gz", "rt") as f:
        held_out = [json.loads(next(f))["rejected"] for _ in range(30)]
    texts = held_out + real_texts(5) + ["ünïcödé 😀 中文 مرحبا \u0301", "<|im_start|>user\nhi<|im_end|>\n"]
    got = probe({"build": build, "texts": texts, "chats": [{"messages": real_conversations(2)[1], "add_generation_prompt": False}]})
    tok = AutoTokenizer.from_pretrained(tmp_path / "tok")
    assert got["special"]["eos"] == tok.eos_token_id and got["special"]["pad"] == tok.pad_token_id
    assert len(tok) == got["special"]["vocab_size"]
    for t, g in zip(texts, got["texts"]):
        ids = tok(t)["input_ids"]
        assert g["ids"] == ids, t[:80]
        assert tok.decode(ids) == t  # lossless in Python too
        assert g["decoded"] == t
    c = got["chats"][0]
    assert c["text"] == tok.apply_chat_template(real_conversations(2)[1], tokenize=False)
    assert c["ids"] == tok(c["text"], add_special_tokens=False)["input_ids"]


def test_radpo_bpe_training_learns_the_merges_of_python_tokenizers(radpo_dist, tmp_path):
    """Same corpus, vocabulary and min_frequency as tokenizers' BpeTrainer (ByteLevel): the learned merges must be the
    same set (ties between equally frequent pairs may be ordered differently) and held-out token counts within 1%."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    corpus = real_texts(60)[:60]
    with gzip.open(SHARED / "data/real/hh-rlhf/harmless-base_test.jsonl.gz", "rt") as f:
        held_out = [json.loads(next(f))["rejected"] for _ in range(200)]
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    got = probe({"build": {"kind": "byte_bpe", "corpus": corpus, "vocabSize": 800, "out": str(tmp_path / "tok")}, "texts": held_out})
    ours = [tuple(m) for m in json.loads((tmp_path / "tok/tokenizer.json").read_text())["model"]["merges"]]
    py = Tokenizer(models.BPE())
    py.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    py.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=800, special_tokens=specials, min_frequency=2, show_progress=False,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    theirs = [tuple(m) for m in json.loads(py.to_str())["model"]["merges"]]
    assert len(ours) == len(theirs)
    assert len(set(ours) & set(theirs)) >= 0.99 * len(theirs)
    n_ours = sum(len(t["ids"]) for t in got["texts"])
    n_py = sum(len(py.encode(t).ids) for t in held_out)
    assert abs(n_ours / n_py - 1) < 0.01, (n_ours, n_py)
