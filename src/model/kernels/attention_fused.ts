// Causal attention as one ORT graph per direction (float32, the model's path): a layer's forward is one ORT call and
// its backward another, instead of attention_blocked.ts's six to ten calls and TypeScript gathers per query block.
// Inside the graph the queries still run in blocks (rows [r0, r1) meet keys [0, r1)), so most of the work above the
// diagonal is skipped; the causal / padding / window / packing mask is added to the scores.
// Forward + backward per layer, heads of 64, 2 cores, interleaved (ms; fN = N query blocks, blk = attention_blocked.ts
// with its block 64):
//   B 4 x T 128, 4 / 2 heads: f1 5.0, f2 4.9, f4 5.4, blk 9.9
//   B 4 x T 256:              f1 19.7, f2 18.6, f4 16.3, f8 22.9, blk 27.7
//   B 4 x T 512:              f1 60.9, f4 39.1, f8 48.7, blk 70.3
//   B 1 x T 512, 9 / 3 heads: f1 34.2, f4 24.0, f8 23.8, blk 38.3
//   B 2 x T 1024:             f4 164.2, f8 151.5, f16 146.9, blk 213.3
//   B 1 x T 2048:             f4 349.8, f8 290.4, f16 287.3, blk 389.4
// Later, with the probs written once and rowsum(dP * P) as rowsum(dY * Y): T 256 f4 14.6 vs blk 26.8, T 512 f4
// 30.8 vs blk 52.6. Sequences longer than maxT keep attention_blocked.ts (its per-block scratch is smaller).

import * as ort from 'onnxruntime-node';
import { opThreads, type EngineSession } from '../gemm.js';
import { graphSession } from './ort_ops.js';
import { graphModel, type OnnxNode, type OnnxIo } from './onnx_proto.js';
import { assertLen, sameValues } from './types.js';
import { firstVisibleKey, type AttnMask, type AttnShape } from './attention.js';

/**
 * The fused graphs run while T <= maxT, with blocks(T) query blocks: one up to T 128, then blocks of about 64 rows up
 * to T 256 and of about 128 beyond (the fastest in the table above).
 */
export const attnFusedSettings = {
  maxT: 4096,
  blocks: (T: number): number => (T <= 128 ? 1 : T <= 256 ? Math.ceil(T / 64) : Math.ceil(T / 128)),
};

/** Whether the model's attention runs as the fused graphs (else attention_blocked.ts) for this shape. */
export function useFusedAttention(s: AttnShape): boolean {
  return s.T <= attnFusedSettings.maxT;
}

/** Additive mask [B, 1, T, T] (0 visible, -1e30 not) and keep [B, 1, T, 1] (0 for queries that see no key). */
interface MaskArrays { add: Float32Array; keep: Float32Array; anyEmpty: boolean }

/** Invisible keys get -1e30 rather than -Infinity: a row that sees nothing stays finite (then zeroed by keep). */
const MASKED = -1e30;

function buildMask(m: AttnMask, B: number, T: number): MaskArrays {
  const add = new Float32Array(B * T * T), keep = new Float32Array(B * T);
  const am = m.attentionMask;
  let anyEmpty = false;
  for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) {
    const lo = firstVisibleKey(m, b, T, i), r = (b * T + i) * T;
    let any = false;
    for (let j = 0; j < T; j++) {
      const visible = j >= lo && j <= i && (!am || am[b * T + j] !== 0);
      if (visible) any = true; else add[r + j] = MASKED;
    }
    keep[b * T + i] = any ? 1 : 0;
    if (!any) anyEmpty = true;
  }
  return { add, keep, anyEmpty };
}

/** The last masks built (the layers of one forward share them); keyed by content, not identity, of the inputs. */
const maskCache: { key: string; am: Uint8Array | null; seg: Int32Array | null; masks: MaskArrays }[] = [];

function masksFor(m: AttnMask, B: number, T: number): MaskArrays {
  const key = `${B}:${T}:${m.window}`, seg = m.segStart ?? null;
  const hit = maskCache.find((c) => c.key === key && sameValues(c.am, m.attentionMask) && sameValues(c.seg, seg));
  if (hit) return hit.masks;
  const masks = buildMask(m, B, T);
  maskCache.unshift({ key, am: m.attentionMask ? m.attentionMask.slice() : null, seg: seg ? seg.slice() : null, masks });
  if (maskCache.length > 4) maskCache.pop();
  return masks;
}

const f32 = (data: Float32Array, dims: number[]): ort.Tensor => {
  const n = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor('float32', data.length === n ? data : data.subarray(0, n), dims);
};

/** Query blocks of the graphs: rows [r0, r1) meet keys [0, r1); their probs [B, NH, r1-r0, r1] start at off. */
interface QBlk { r0: number; r1: number; off: number }

/** Query blocks for T: nb equal row ranges (nb from attnFusedSettings.blocks). */
export function fusedBlocks(s: AttnShape): QBlk[] {
  const { B, T, NH } = s, nb = Math.max(1, Math.min(T, attnFusedSettings.blocks(T))), out: QBlk[] = [];
  let off = 0;
  for (let j = 0; j < nb; j++) {
    const r0 = Math.floor((j * T) / nb), r1 = Math.floor(((j + 1) * T) / nb);
    out.push({ r0, r1, off });
    off += B * NH * (r1 - r0) * r1;
  }
  return out;
}

const i64s = (vals: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(vals, BigInt), [vals.length]);
const QH = ['b', 'nh', 't', 'hs'], KD = ['b', 'kv', 't', 'hs'], TOK = ['b', 't', 'nh', 'hs'];
const pDims = (j: number) => ['b', 'kv', `pr${j}`, `pc${j}`];
const I64: Pick<OnnxIo, 'int64'> = { int64: true };

/**
 * Block j's query rows [Q0_j, Q1_j) and key rows [K0, Q1_j) sliced out of Q, K, V (adds the range inputs and Slice
 * nodes; one block: the tensors themselves; the last block: all of K and V).
 */
function blockSlices(nodes: OnnxNode[], inputs: OnnxIo[], j: number, nb: number, src: { q: string; k: string; v: string }): { q: string; k: string; v: string } {
  if (nb === 1) return src;
  inputs.push({ name: `Q0_${j}`, dims: [1], ...I64 }, { name: `Q1_${j}`, dims: [1], ...I64 });
  nodes.push({ op: 'Slice', inputs: [src.q, `Q0_${j}`, `Q1_${j}`, 'AX2'], outputs: [`QS${j}`] });
  if (j === nb - 1) return { q: `QS${j}`, k: src.k, v: src.v }; // the last block's keys are all of them
  nodes.push(
    { op: 'Slice', inputs: [src.k, 'K0', `Q1_${j}`, 'AX2'], outputs: [`KS${j}`] },
    { op: 'Slice', inputs: [src.v, 'K0', `Q1_${j}`, 'AX2'], outputs: [`VS${j}`] },
  );
  return { q: `QS${j}`, k: `KS${j}`, v: `VS${j}` };
}

/**
 * The graph inputs every block shares: SH_KV = [0, NKV, -1, 0] and SH_H = [0, NH, -1, 0] (Reshape between
 * [B, NH, rows, x] and [B, NKV, G*rows, x]: query heads kv*G+g share key head kv), and with several blocks
 * AX2 = [2], AX23 = [2, 3] and K0 = [0] for the Slices.
 */
function sharedInputs(nb: number): OnnxIo[] {
  return [{ name: 'SH_KV', dims: [4], ...I64 }, { name: 'SH_H', dims: [4], ...I64 },
    ...(nb > 1 ? [{ name: 'AX2', dims: [1], ...I64 }, { name: 'AX23', dims: [2], ...I64 }, { name: 'K0', dims: [1], ...I64 }] : [])];
}

/**
 * Forward graph over nb query blocks: per block S = scale * Q K^T [B, NKV, G*rows, r1], viewed [B, NH, rows, r1] for
 * the mask, softmax and keep (P_j, an output), Y_j = P_j V; the blocks' Y concatenated over time, then
 * [B, T, NH, HS] when tokenMajor.
 */
function forwardGraph(scale: number, nb: number, keep: boolean, tokenMajor: boolean): Uint8Array {
  const nodes: OnnxNode[] = [], inputs: OnnxIo[] = [
    { name: 'Q', dims: QH }, { name: 'K', dims: KD }, { name: 'V', dims: KD }, { name: 'MASK', dims: ['b', 1, 't', 't'] },
    ...(keep ? [{ name: 'KEEP', dims: ['b', 1, 't', 1] }] : []), ...sharedInputs(nb),
  ];
  const outputs: OnnxIo[] = [], ys: string[] = [];
  for (let j = 0; j < nb; j++) {
    const x = blockSlices(nodes, inputs, j, nb, { q: 'Q', k: 'K', v: 'V' });
    let mask = 'MASK', kp = 'KEEP';
    if (nb > 1) {
      inputs.push({ name: `MS0_${j}`, dims: [2], ...I64 }, { name: `MS1_${j}`, dims: [2], ...I64 });
      nodes.push({ op: 'Slice', inputs: ['MASK', `MS0_${j}`, `MS1_${j}`, 'AX23'], outputs: [`M${j}`] });
      mask = `M${j}`;
      if (keep) { nodes.push({ op: 'Slice', inputs: ['KEEP', `Q0_${j}`, `Q1_${j}`, 'AX2'], outputs: [`KP${j}`] }); kp = `KP${j}`; }
    }
    nodes.push(
      { op: 'Reshape', inputs: [x.q, 'SH_KV'], outputs: [`QG${j}`] },
      { op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`QG${j}`, x.k], outputs: [`S${j}`], attrs: [{ name: 'transB', int: 1 }, { name: 'alpha', float: scale }] },
      { op: 'Reshape', inputs: [`S${j}`, 'SH_H'], outputs: [`SH${j}`] },
      { op: 'Add', inputs: [`SH${j}`, mask], outputs: [`SM${j}`] },
      { op: 'Softmax', inputs: [`SM${j}`], outputs: [keep ? `PK${j}` : `P${j}`], attrs: [{ name: 'axis', int: -1 }] },
      ...(keep ? [{ op: 'Mul', inputs: [`PK${j}`, kp], outputs: [`P${j}`] }] : []),
      { op: 'Reshape', inputs: [`P${j}`, 'SH_KV'], outputs: [`PG${j}`] }, // a view: P_j is written once, as the output
      { op: 'MatMul', inputs: [`PG${j}`, x.v], outputs: [`YG${j}`] },
      { op: 'Reshape', inputs: [`YG${j}`, 'SH_H'], outputs: [`YH${j}`] },
    );
    outputs.push({ name: `P${j}`, dims: ['b', 'nh', `pr${j}`, `pc${j}`] });
    ys.push(`YH${j}`);
  }
  const yh = nb > 1 ? 'YC' : ys[0]!;
  if (nb > 1) nodes.push({ op: 'Concat', inputs: ys, outputs: ['YC'], attrs: [{ name: 'axis', int: 2 }] });
  nodes.push(tokenMajor
    ? { op: 'Transpose', inputs: [yh], outputs: ['Y'], attrs: [{ name: 'perm', ints: [0, 2, 1, 3] }] }
    : { op: 'Identity', inputs: [yh], outputs: ['Y'] });
  outputs.push({ name: 'Y', dims: tokenMajor ? TOK : QH });
  return graphModel(nodes, inputs, outputs);
}

/**
 * Backward graph over the same blocks: dP = dY V^T, dV = P^T dY, dS = P * (dP - D) with D = rowsum(dP * P) =
 * rowsum(dY * Y) (FlashAttention's identity: HS products per query instead of r1), dQ = scale * dS K,
 * dK = scale * dS^T Q (the G query heads of a key head summed by the GEMM); a block's dK, dV rows [0, r1) are padded
 * to T and summed over blocks, its dQ rows concatenated. dY and Y are read as [B, T, NH, HS] when tokenMajor.
 */
function backwardGraph(scale: number, nb: number, tokenMajor: boolean): Uint8Array {
  const nodes: OnnxNode[] = [], inputs: OnnxIo[] = [
    { name: 'DY', dims: tokenMajor ? TOK : QH }, { name: 'Y', dims: tokenMajor ? TOK : QH }, { name: 'Q', dims: QH }, { name: 'K', dims: KD }, { name: 'V', dims: KD },
    ...Array.from({ length: nb }, (_, j) => ({ name: `P${j}`, dims: pDims(j) })), { name: 'AXL', dims: [1], ...I64 }, ...sharedInputs(nb),
  ];
  nodes.push(
    { op: 'Mul', inputs: ['DY', 'Y'], outputs: ['DYY'] },
    { op: 'ReduceSum', inputs: ['DYY', 'AXL'], outputs: [tokenMajor ? 'DT' : 'DH'], attrs: [{ name: 'keepdims', int: 1 }] },
  );
  if (tokenMajor) nodes.push(
    { op: 'Transpose', inputs: ['DY'], outputs: ['DYH'], attrs: [{ name: 'perm', ints: [0, 2, 1, 3] }] },
    { op: 'Transpose', inputs: ['DT'], outputs: ['DH'], attrs: [{ name: 'perm', ints: [0, 2, 1, 3] }] }, // [B, NH, T, 1]
  );
  const dqs: string[] = [], dks: string[] = [], dvs: string[] = [];
  for (let j = 0; j < nb; j++) {
    const x = blockSlices(nodes, inputs, j, nb, { q: 'Q', k: 'K', v: 'V' });
    let dy = tokenMajor ? 'DYH' : 'DY', d = 'DH';
    if (nb > 1) {
      nodes.push({ op: 'Slice', inputs: [dy, `Q0_${j}`, `Q1_${j}`, 'AX2'], outputs: [`DYS${j}`] }, { op: 'Slice', inputs: [d, `Q0_${j}`, `Q1_${j}`, 'AX2'], outputs: [`DS_${j}`] });
      dy = `DYS${j}`; d = `DS_${j}`;
    }
    const pad = nb > 1 && j < nb - 1; // the last block's keys run to T
    if (pad) inputs.push({ name: `PAD${j}`, dims: [8], ...I64 });
    nodes.push(
      { op: 'Reshape', inputs: [x.q, 'SH_KV'], outputs: [`QG${j}`] },
      { op: 'Reshape', inputs: [dy, 'SH_KV'], outputs: [`DYG${j}`] },
      { op: 'Reshape', inputs: [d, 'SH_KV'], outputs: [`DG${j}`] },
      { op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`DYG${j}`, x.v], outputs: [`DP${j}`], attrs: [{ name: 'transB', int: 1 }] },
      { op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`P${j}`, `DYG${j}`], outputs: [pad ? `DVB${j}` : `DV${j}`], attrs: [{ name: 'transA', int: 1 }] },
      { op: 'Sub', inputs: [`DP${j}`, `DG${j}`], outputs: [`D${j}`] },
      { op: 'Mul', inputs: [`P${j}`, `D${j}`], outputs: [`DS${j}`] },
      { op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`DS${j}`, x.k], outputs: [`DQG${j}`], attrs: [{ name: 'alpha', float: scale }] },
      { op: 'Reshape', inputs: [`DQG${j}`, 'SH_H'], outputs: [`DQH${j}`] },
      { op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`DS${j}`, `QG${j}`], outputs: [pad ? `DKB${j}` : `DK${j}`], attrs: [{ name: 'transA', int: 1 }, { name: 'alpha', float: scale }] },
    );
    if (pad) nodes.push(
      { op: 'Pad', inputs: [`DKB${j}`, `PAD${j}`], outputs: [`DK${j}`] },
      { op: 'Pad', inputs: [`DVB${j}`, `PAD${j}`], outputs: [`DV${j}`] },
    );
    dqs.push(`DQH${j}`); dks.push(`DK${j}`); dvs.push(`DV${j}`);
  }
  if (nb > 1) nodes.push(
    { op: 'Concat', inputs: dqs, outputs: ['DQ'], attrs: [{ name: 'axis', int: 2 }] },
    { op: 'Sum', inputs: dks, outputs: ['DK'] },
    { op: 'Sum', inputs: dvs, outputs: ['DV'] },
  );
  else nodes.push(
    { op: 'Identity', inputs: [dqs[0]!], outputs: ['DQ'] },
    { op: 'Identity', inputs: [dks[0]!], outputs: ['DK'] },
    { op: 'Identity', inputs: [dvs[0]!], outputs: ['DV'] },
  );
  return graphModel(nodes, inputs, [{ name: 'DQ', dims: QH }, { name: 'DK', dims: KD }, { name: 'DV', dims: KD }]);
}

/** The int64 inputs that describe the blocks (shared Reshape shapes, Slice ranges, Pad widths). */
function blockFeeds(s: AttnShape, bl: QBlk[], feeds: Record<string, ort.Tensor>, backward: boolean): void {
  const { T, NH, NKV } = s;
  feeds.SH_KV = i64s([0, NKV, -1, 0]); feeds.SH_H = i64s([0, NH, -1, 0]);
  if (backward) feeds.AXL = i64s([-1]);
  if (bl.length === 1) return;
  feeds.AX2 = i64s([2]); feeds.AX23 = i64s([2, 3]); feeds.K0 = i64s([0]);
  bl.forEach(({ r0, r1 }, j) => {
    feeds[`Q0_${j}`] = i64s([r0]); feeds[`Q1_${j}`] = i64s([r1]);
    if (!backward) { feeds[`MS0_${j}`] = i64s([r0, 0]); feeds[`MS1_${j}`] = i64s([r1, r1]); }
    if (backward && j < bl.length - 1) feeds[`PAD${j}`] = i64s([0, 0, 0, 0, 0, 0, T - r1, 0]);
  });
}

/** Block j's probs inside the probs buffer: [B, NH, rows, r1] (heads) or the same floats as [B, NKV, G*rows, r1]. */
function probsTensor(probs: Float32Array, s: AttnShape, b: QBlk, heads: boolean): ort.Tensor {
  const { B, NH, NKV } = s, G = NH / NKV, rows = b.r1 - b.r0, n = B * NH * rows * b.r1;
  return new ort.Tensor('float32', probs.subarray(b.off, b.off + n), heads ? [B, NH, rows, b.r1] : [B, NKV, G * rows, b.r1]);
}

/**
 * y [B, NH, T, HS] (overwritten; [B, T, NH, HS] = [N, NH*HS] with yTokenMajor); probs: fusedProbsLength(s) floats
 * (the blocks' probs, saved for the backward; masked keys and queries that see nothing are 0); q [B, NH, T, HS],
 * k, v [B, NKV, T, HS]. Same contract as attentionForwardBlocked except the probs layout.
 */
export async function attentionForwardFused(y: Float32Array, probs: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, s: AttnShape, m: AttnMask, yTokenMajor = false): Promise<void> {
  const { B, T, NH, NKV, HS } = s, bl = fusedBlocks(s);
  assertLen('attention q', q, B * NH * T * HS); assertLen('attention k', k, B * NKV * T * HS); assertLen('attention v', v, B * NKV * T * HS);
  assertLen('attention y', y, B * NH * T * HS); assertLen('attention probs', probs, probsLength(s, bl));
  const masks = masksFor(m, B, T), keep = masks.anyEmpty, scale = 1 / Math.sqrt(HS);
  const sess = await graphSession(`attn_fwd:${scale}:${bl.length}:${+keep}:${+yTokenMajor}`, () => forwardGraph(scale, bl.length, keep, yTokenMajor), opThreads());
  const feeds: Record<string, ort.Tensor> = {
    Q: f32(q, [B, NH, T, HS]), K: f32(k, [B, NKV, T, HS]), V: f32(v, [B, NKV, T, HS]), MASK: f32(masks.add, [B, 1, T, T]),
  };
  if (keep) feeds.KEEP = f32(masks.keep, [B, 1, T, 1]);
  blockFeeds(s, bl, feeds, false);
  const fetches: Record<string, ort.Tensor> = { Y: f32(y, yTokenMajor ? [B, T, NH, HS] : [B, NH, T, HS]) };
  bl.forEach((b, j) => { fetches[`P${j}`] = probsTensor(probs, s, b, true); });
  await sess.run(feeds, fetches);
}

/**
 * dq [B, NH, T, HS], dk, dv [B, NKV, T, HS] (all overwritten); dy [B, NH, T, HS] ([B, T, NH, HS] with
 * dyTokenMajor); q, k, v, probs and y (in dy's layout) from attentionForwardFused with the same shape.
 */
export async function attentionBackwardFused(dq: Float32Array, dk: Float32Array, dv: Float32Array, dy: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, y: Float32Array, s: AttnShape, dyTokenMajor = false): Promise<void> {
  const { B, T, NH, NKV, HS } = s, scale = 1 / Math.sqrt(HS), bl = fusedBlocks(s);
  assertLen('attention dy', dy, B * NH * T * HS); assertLen('attention y', y, B * NH * T * HS); assertLen('attention probs', probs, probsLength(s, bl));
  assertLen('attention dq', dq, B * NH * T * HS); assertLen('attention dk', dk, B * NKV * T * HS); assertLen('attention dv', dv, B * NKV * T * HS);
  const sess = await graphSession(`attn_bwd:${scale}:${bl.length}:${+dyTokenMajor}`, () => backwardGraph(scale, bl.length, dyTokenMajor), opThreads());
  const lay = dyTokenMajor ? [B, T, NH, HS] : [B, NH, T, HS];
  const feeds: Record<string, ort.Tensor> = {
    DY: f32(dy, lay), Y: f32(y, lay), Q: f32(q, [B, NH, T, HS]), K: f32(k, [B, NKV, T, HS]), V: f32(v, [B, NKV, T, HS]),
  };
  bl.forEach((b, j) => { feeds[`P${j}`] = probsTensor(probs, s, b, false); });
  blockFeeds(s, bl, feeds, true);
  await sess.run(feeds, { DQ: f32(dq, [B, NH, T, HS]), DK: f32(dk, [B, NKV, T, HS]), DV: f32(dv, [B, NKV, T, HS]) });
}

/** Length of the fused probs buffer for a shape (at most B*NH*T*T). */
export function fusedProbsLength(s: AttnShape): number { return probsLength(s, fusedBlocks(s)); }

function probsLength(s: AttnShape, bl: QBlk[]): number {
  const last = bl[bl.length - 1]!;
  return last.off + s.B * s.NH * (last.r1 - last.r0) * last.r1;
}
