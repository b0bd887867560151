"""PyTorch eager baseline for bench/model.ts: the same Llama config, forward + loss + backward, same thread count.
Not a test. Usage: python bench/model_torch.py REQUEST.json [--serve] (written by bench/model.ts); prints one JSON line,
or with --serve times one step per "step" line read from stdin (paired measurement)."""
import json
import statistics
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

req = json.load(open(sys.argv[1]))
torch.set_num_threads(req["threads"])
c = req["config"]
cfg = LlamaConfig(vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
                  num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
                  num_key_value_heads=c["num_key_value_heads"], head_dim=c["head_dim"], rms_norm_eps=c["rms_norm_eps"],
                  tie_word_embeddings=c["tie_word_embeddings"], max_position_embeddings=c["max_position_embeddings"])
torch.manual_seed(0)
model = LlamaForCausalLM(cfg).float().train()
B, T = req["B"], req["T"]
ids = torch.randint(0, cfg.vocab_size, (B, T))


def step():
    model.zero_grad(set_to_none=False)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()


if "--serve" in sys.argv:
    # Paired mode (bench/model.ts --paired): one timed step per "step" line on stdin, its seconds on stdout.
    for _ in range(2):
        step()
    print(json.dumps({"ready": True, "torch": torch.__version__, "attn": model.config._attn_implementation}), flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        t0 = time.perf_counter()
        step()
        print(json.dumps({"sec": time.perf_counter() - t0}), flush=True)
    sys.exit(0)

times = []
for i in range(2 + req["steps"]):
    t0 = time.perf_counter()
    step()
    if i >= 2:
        times.append(time.perf_counter() - t0)
sec = statistics.median(times)
print(json.dumps({"tokens_per_s": B * T / sec, "sec": sec, "torch": torch.__version__, "attn": model.config._attn_implementation}))
