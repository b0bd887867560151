// The trainers' public surface (re-exported from src/index.ts). Not an implementation file.

export { trainSft, type SftExample, type TrainSftOptions } from './sft.js';
export { trainDpo, type TrainDpoOptions } from './dpo.js';
export { runTraining, epochOrder, type TrainResult, type TrainTask, type LoopOptions } from './trainer.js';
export { SFT_OPTIONS, DPO_OPTIONS, type SftConfig, type DpoConfig, type TrainArgs } from './config.js';
export { pairLoss, rewardMetrics, checkLossParams, logSigmoid, sigmoid, LOSS_TYPES, type LossType, type LossParams, type PairLogps, type PairLoss } from './losses.js';
export { sequenceLogps, sequenceLogpsBackward, type SeqLogps } from './logps.js';
export { dpoObjective, sftObjective, referenceLogps, type ObjectiveResult, type StepNorm, type DpoObjectiveOptions } from './objective.js';
export { collatePreference, collateSft, collatePacked, packSft, fitPairs, fitSequence, fitSft, type TokenizedPair, type TokenizedSft, type LmBatch, type DpoBatch, type LengthOptions, type TruncationMode } from './collate.js';
export { AdamW, clipGradNorm, gradNorm, decayMaskFor, type AdamWOptions, type AdamWState } from './optimizer.js';
export { lrMultiplier, warmupSteps, LR_SCHEDULERS, type LrSchedulerType } from './schedule.js';
export { precomputeRefLogps, refCacheKey, defaultRefCacheDir } from './ref_cache.js';
export { listCheckpoints, loadTrainerState, type TrainerState } from './checkpoint.js';
export { tokenizePreference, tokenizeSft } from './tokenize.js';
export type { TrainableModel, ForwardOptions } from './model_api.js';
