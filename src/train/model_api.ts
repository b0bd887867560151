// What the trainers need from a model: the engine's Model (src/model/model.ts) satisfies it structurally, and so
// can a tiny in-test model. Not an implementation.

export interface ParamsLike {
  readonly data: Float32Array;
  readonly entries?: readonly { name: string; shape: number[]; offset: number; size: number }[];
}

export interface ForwardOptions {
  attentionMask?: Uint8Array;  // [B*T]
  positionIds?: Int32Array;    // [B*T]
  train?: boolean;
  /** [B*T*V] buffer the model may write the logits into (and return) instead of allocating; use the returned array. */
  logitsOut?: Float32Array;
}

export interface TrainableModel {
  readonly config: { vocab_size: number };
  readonly params: ParamsLike;
  grads: ParamsLike | null;
  enableGrad(): void;
  zeroGrad(): void;
  /** ids [B*T] -> logits [B*T*V]. With train, keeps activations for backward. */
  forward(ids: Int32Array, B: number, T: number, opts?: ForwardOptions): Promise<Float32Array>;
  /** dlogits [B*T*V] of the last train forward; adds (+=) into grads. */
  backward(dlogits: Float32Array): Promise<void>;
}
