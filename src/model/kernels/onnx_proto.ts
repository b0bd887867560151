// A minimal protobuf encoder for single-operator ONNX models (ModelProto with one NodeProto), used by gemm.ts and
// ort_ops.ts. Not an ONNX library: it writes only the fields one-node float graphs (FusedMatMul, Softmax, ...) need.

class Pb {
  private bytes: number[] = [];
  varint(v: number): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this { return this.varint((field << 3) | wire); }
  int(field: number, v: number): this { return this.tag(field, 0).varint(v); }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  raw(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const x of data) this.bytes.push(x);
    return this;
  }
  str(field: number, s: string): this { return this.raw(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Pb): this { return this.raw(field, m.finish()); }
  finish(): Uint8Array { return Uint8Array.from(this.bytes); }
}

export type OnnxAttr = { name: string; int?: number; float?: number; ints?: number[] };

/** Tensor input/output (float unless int64) with symbolic dims (named by the given strings) or fixed dims (numbers). */
export interface OnnxIo { name: string; dims: (string | number)[]; int64?: boolean }

function valueInfo(io: OnnxIo): Pb {
  const shape = new Pb();
  for (const d of io.dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  const tensor = new Pb().int(1, io.int64 ? 7 /* INT64 */ : 1 /* FLOAT */).msg(2, shape);
  return new Pb().str(1, io.name).msg(2, new Pb().msg(1, tensor));
}

/** One node of a graph: operator, domain ('' = ONNX), input and output value names, attributes. */
export interface OnnxNode { op: string; domain?: string; inputs: string[]; outputs: string[]; attrs?: OnnxAttr[] }

function nodeProto(n: OnnxNode, index: number): Pb {
  const node = new Pb();
  for (const i of n.inputs) node.str(1, i);
  for (const o of n.outputs) node.str(2, o);
  node.str(3, `n${index}`).str(4, n.op);
  for (const a of n.attrs ?? []) {
    const pa = new Pb().str(1, a.name);
    if (a.float !== undefined) pa.float(2, a.float).int(20, 1);
    else if (a.ints) { for (const v of a.ints) pa.int(8, v); pa.int(20, 7); }
    else pa.int(3, a.int ?? 0).int(20, 2);
    node.msg(5, pa);
  }
  if (n.domain) node.str(7, n.domain);
  return node;
}

/** Encodes a one-node ONNX model (opset 17, plus com.microsoft opset 1 for contrib ops). */
export function singleOpModel(op: string, domain: string, inputs: OnnxIo[], outputs: OnnxIo[], attrs: OnnxAttr[]): Uint8Array {
  return graphModel([{ op, domain, inputs: inputs.map((i) => i.name), outputs: outputs.map((o) => o.name), attrs }], inputs, outputs);
}

/** Encodes a small ONNX graph of nodes in topological order (float and int64 inputs, no initializers). */
export function graphModel(nodes: OnnxNode[], inputs: OnnxIo[], outputs: OnnxIo[]): Uint8Array {
  const graph = new Pb();
  nodes.forEach((n, i) => graph.msg(1, nodeProto(n, i)));
  graph.str(2, 'g');
  for (const i of inputs) graph.msg(11, valueInfo(i));
  for (const o of outputs) graph.msg(12, valueInfo(o));
  const model = new Pb().int(1, 8).str(2, 'radpo').msg(7, graph)
    .msg(8, new Pb().str(1, '').int(2, 17))
    .msg(8, new Pb().str(1, 'com.microsoft').int(2, 1));
  return model.finish();
}
