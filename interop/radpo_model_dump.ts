// Interop helper for interop/tests/test_model_*.py: runs radpo's engine on a request JSON and writes raw results
// (logits as float32, loss gradients as safetensors) or writes a fresh radpo checkpoint. Not part of the product.
// Usage: node_modules/.bin/tsx interop/radpo_model_dump.ts REQUEST.json

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Model } from '../src/model/model.js';
import { parseModelConfig } from '../src/model/config.js';
import { crossEntropy } from '../src/model/kernels/loss.js';
import { saveSafetensors } from '../src/model/safetensors.js';

interface RunRequest { op: 'run'; model: string; ids: number[][]; attention_mask?: number[][]; position_ids?: number[][]; labels_mask?: number[][]; out_dir: string }
interface InitRequest { op: 'init'; config: Record<string, unknown>; seed: number; out: string; dtype?: 'F32' | 'BF16' }
interface CliRequest { op: 'cli'; argv: string[] }

const req = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as RunRequest | InitRequest | CliRequest;
if (req.op === 'cli') {
  const { main } = await import('../src/cli/main.js');
  process.exitCode = await main(req.argv);
} else if (req.op === 'init') {
  const m = Model.init(parseModelConfig(req.config, 'request'), req.seed);
  await m.save(req.out, { dtype: req.dtype ?? 'F32' });
} else {
  const m = await Model.load(req.model);
  const B = req.ids.length, T = req.ids[0]!.length, V = m.config.vocab_size;
  const flat = <A extends Int32Array | Uint8Array>(rows: number[][] | undefined, C: new (n: number) => A): A | undefined => {
    if (!rows) return undefined;
    const a = new C(B * T);
    rows.forEach((r, b) => r.forEach((x, t) => { a[b * T + t] = x; }));
    return a;
  };
  const ids = flat(req.ids, Int32Array)!;
  const train = req.labels_mask !== undefined;
  if (train) m.enableGrad();
  const logits = await m.forward(ids, B, T, { attentionMask: flat(req.attention_mask, Uint8Array), positionIds: flat(req.position_ids, Int32Array), train });
  fs.mkdirSync(req.out_dir, { recursive: true });
  fs.writeFileSync(path.join(req.out_dir, 'logits.f32'), new Uint8Array(logits.buffer));
  const result: Record<string, unknown> = { B, T, V };
  if (train) {
    const { loss, dlogits } = crossEntropy(logits, ids, B, T, V, flat(req.labels_mask, Uint8Array)!);
    await m.backward(dlogits);
    saveSafetensors(path.join(req.out_dir, 'grads.safetensors'), m.grads!);
    result.loss = loss;
  }
  fs.writeFileSync(path.join(req.out_dir, 'result.json'), JSON.stringify(result));
}
