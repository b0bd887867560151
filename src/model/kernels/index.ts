// The engine's kernels, each a forward and a backward over flat buffers (shapes in each file's comments).
// Not the model: src/model/model.ts wires them into a Llama-family decoder; generation reuses them with a cache.

export type { Vec } from './types.js';
export { embeddingForward, embeddingBackward } from './embedding.js';
export { rmsnormForward, rmsnormBackward, residualRmsnormForward } from './rmsnorm.js';
export { linearForward, linearBackward, biasBackward, mm } from './linear.js';
export { ropeInvFreq, ropeTables, ropeApply } from './rope.js';
export { attentionForward, attentionBackward, maskedSoftmax, type AttnShape, type AttnMask } from './attention.js';
export { attentionForwardBlocked, attentionBackwardBlocked, attnBlockSettings, blockedProbsLength } from './attention_blocked.js';
export { swigluForward, swigluBackward, swigluFromSigmoid, swigluBackwardFromSigmoid } from './swiglu.js';
export { logSumExp, tokenLogprobs, tokenLogprobsBackward, crossEntropy, crossEntropyOrt } from './loss.js';
export { ortSoftmax, ortSigmoid, ortSwiglu, ortSwigluBackward, ortSoftmaxBackward, ortScaledSoftmax, ortResidualRmsnorm, ortRmsnormBackward } from './ort_ops.js';
export { expf } from './fastmath.js';
