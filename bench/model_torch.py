"""PyTorch eager baseline for bench/model.ts: the same Llama config, forward + loss + backward, same thread count.
Not a test. Usage: python bench/model_torch.py REQUEST.json (written by bench/model.ts); prints one JSON line."""
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
times = []
for step in range(2 + req["steps"]):
    t0 = time.perf_counter()
    model.zero_grad(set_to_none=False)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    if step >= 2:
        times.append(time.perf_counter() - t0)
sec = statistics.median(times)
print(json.dumps({"tokens_per_s": B * T / sec, "sec": sec, "torch": torch.__version__, "attn": model.config._attn_implementation}))
