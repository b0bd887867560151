# radpo's data outputs judged by the Python reference libraries: `datasets` loads radpo's JSONL, Parquet and
# dataset-folder outputs with the columns and row counts radpo wrote; TRL's extract_prompt and
# maybe_apply_chat_template (tiny local ChatML tokenizer built here, no downloads) accept radpo's conversational rows.
import json
import pathlib
import subprocess

import pytest
from datasets import load_dataset
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast
from trl.data_utils import extract_prompt, is_conversational, maybe_apply_chat_template, maybe_extract_prompt

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples/ultrafeedback_sample.jsonl"
SOURCES = ["data/augment", "data/augment_row", "data/read", "data/write", "data/parquet", "data/schema", "data/goal",
           "cli/commands/augment", "cli/main"]
GOAL_HEAD = ("You are an assistant that generates responses for the instruction while implicitly achieving the following "
             "target scores (on a scale of 1-10, where 1 is lowest and 10 is highest):\nOverall score: ")
CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


@pytest.fixture(scope="module")
def radpo():
    stale = [s for s in SOURCES if not (ROOT / f"dist/{s}.js").exists()
             or (ROOT / f"src/{s}.ts").stat().st_mtime > (ROOT / f"dist/{s}.js").stat().st_mtime]
    if stale:
        subprocess.run(["npx", "tsc", "-p", "tsconfig.build.json"], cwd=ROOT, capture_output=True)  # others' type errors do not block emit
    assert (ROOT / "dist/cli/commands/augment.js").exists()

    def run(*args):
        r = subprocess.run(["node", str(ROOT / "bin/radpo.js"), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout
    return run


@pytest.fixture(scope="module")
def outputs(radpo, tmp_path_factory):
    d = tmp_path_factory.mktemp("radpo_data")
    radpo("augment", SAMPLE, "-o", d / "aug.jsonl")
    radpo("augment", SAMPLE, "-o", d / "aug.parquet")
    # A dataset folder with two splits: train augmented, the eval file beside it conditioned on goal 10.
    radpo("augment", SAMPLE, "-o", d / "folder", "--eval", SAMPLE, "--eval_goal", "10")
    radpo("augment", SAMPLE, "-o", d / "prompt.jsonl", "--placement", "prompt")
    return d


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_datasets_loads_jsonl_and_parquet_with_radpos_columns_and_counts(outputs):
    rows = jsonl(outputs / "aug.jsonl")
    n_in = len(jsonl(SAMPLE))
    assert len(rows) == 2 * n_in
    columns = list(rows[0].keys())
    assert columns == ["prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected", "goal"]
    for path, kind in [(outputs / "aug.jsonl", "json"), (outputs / "aug.parquet", "parquet")]:
        ds = load_dataset(kind, data_files=str(path), split="train")
        assert ds.num_rows == len(rows), path
        assert ds.column_names == columns, path
        assert ds[0]["chosen"][0] == {"content": rows[0]["chosen"][0]["content"], "role": "system"}
        assert ds[n_in]["goal"] == rows[n_in]["goal"]
    pq = load_dataset("parquet", data_files=str(outputs / "aug.parquet"), split="train")
    assert pq.to_list() == [{k: r[k] for k in columns} for r in rows]  # Parquet holds exactly the JSONL rows


def test_datasets_loads_the_dataset_folder_splits(outputs):
    dd = load_dataset(str(outputs / "folder"))
    assert sorted(dd.keys()) == ["test_prefs", "train_prefs"]
    n_in = len(jsonl(SAMPLE))
    assert dd["train_prefs"].num_rows == 2 * n_in
    assert dd["test_prefs"].num_rows == n_in
    assert dd["test_prefs"][0]["chosen"][0]["content"] == GOAL_HEAD + "10."
    card = (outputs / "folder/README.md").read_text()
    assert f"num_examples: {2 * n_in}" in card and "- split: test_prefs" in card


def chatml_tokenizer():
    words = ["<unk>", "<|im_start|>", "<|im_end|>"] + [chr(c) for c in range(32, 127)]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   chat_template=CHATML)


def test_trl_extract_prompt_and_chat_template_accept_radpos_rows(outputs):
    tokenizer = chatml_tokenizer()
    rows = jsonl(outputs / "aug.jsonl")
    for r in rows[:20] + rows[-20:]:
        ex = {"chosen": r["chosen"], "rejected": r["rejected"]}
        assert is_conversational(ex)
        x = extract_prompt(ex)
        assert [m["role"] for m in x["prompt"]] == ["system", "user"]
        assert x["prompt"][0]["content"] == GOAL_HEAD + f"{r['goal']:g}."
        assert [m["role"] for m in x["chosen"]] == ["assistant"]
        # With the H4 string `prompt` column present, maybe_extract_prompt must still split the conversations.
        assert maybe_extract_prompt(dict(r))["prompt"] == x["prompt"]
        t = maybe_apply_chat_template(x, tokenizer)
        assert t["prompt"].startswith("<|im_start|>system\n" + GOAL_HEAD)
        assert t["prompt"].endswith("<|im_end|>\n<|im_start|>assistant\n")
        assert t["chosen"] == r["chosen"][-1]["content"] + "<|im_end|>\n"
    for r in jsonl(outputs / "prompt.jsonl")[:10]:
        x = extract_prompt({"chosen": r["chosen"], "rejected": r["rejected"]})
        assert [m["role"] for m in x["prompt"]] == ["user"]
        assert x["prompt"][0]["content"].startswith(GOAL_HEAD)
        t = maybe_apply_chat_template(x, tokenizer)
        assert t["prompt"].startswith("<|im_start|>user\n" + GOAL_HEAD)
