// radpo's public API: everything the CLI does is a typed function exported from here.
// Internal helpers stay in their modules; import from 'radpo' only what is listed below.

export { VERSION } from './version.js';
export { RadpoError, type ErrorCode, type ErrorLocation } from './util/errors.js';
export { Rng } from './util/rng.js';
export { writeFileAtomic, writeJsonAtomic, writeDirAtomic, AtomicWriteStream } from './util/atomic.js';
export { Progress } from './util/progress.js';
export { parseArgv, resolveOptions, readRecipe, formatHelp, type OptionTable, type OptionSpec, type Resolved } from './util/options.js';
export { exportTrl, type ExportTrlOptions, type ExportTrlResult } from './scale/export.js';
export { mapToTrl, conservativeDpoToTrl, TRL_VERSION, TRL_PINS, type TrlMapping, type TrainerKind } from './scale/trl_map.js';
export { openrlhfDpoCommand } from './scale/openrlhf.js';
export { accelerateConfig, launchCommand, type LaunchMode, type ClusterShape } from './scale/accelerate.js';
export { generate, generateIds, encodePrompt, DEFAULT_GENERATE, type GenerateOptions, type Generation, type IdsGeneration, type Prompt } from './model/generate.js';
export { argmax, selectToken, warpedDistribution, sequenceRng, SamplerScratch, DEFAULT_SAMPLING, type SamplingOptions } from './model/sampling.js';
export { KvCache, DecodeWorkspace, forwardCached, WasmWeights, decodeSettings, type DecoderWeights } from './model/kv_cache.js';
export { exportGguf, writeGguf, readGgufHeader, readGgufFile, permuteForRope, type ExportGgufOptions, type ExportGgufResult, type GgufKv, type GgufTensor } from './model/gguf.js';
export { Tokenizer, type TokenizerFiles, type EncodeOptions, type DecodeOptions } from './model/tokenizer.js';
export { applyChatTemplate, selectChatTemplate, type ChatMessage, type ChatTemplates, type ChatTemplateOptions } from './model/chat_template.js';
export { tokenizePair, checkPairRow, isConversation, type PairRow, type TokenizePairOptions, type TokenizedPair } from './model/tokenize_pair.js';
export { buildTokenizer, writeTokenizer, CHATML_TEMPLATE, DEFAULT_SPECIAL_TOKENS, type BuildTokenizerOptions, type BuiltTokenizer } from './model/tokenizer_build.js';
export { scoreCompletions, scoreTokenized, completionLogprobs, type LogitsModel, type CompletionScore, type ScoreOptions } from './model/logprobs.js';
export * from './data/index.js';
export { mapToScale, roundToStep, leastSquares, SCALE_METHODS, type ScaleMethod, type ScaleOptions, type ScaleResult } from './data/relabel_scale.js';
export { relabelPairs, swapSides, originalScores, spearmanPresent, REORDER_MODES, type ReorderMode, type RelabelOptions as PairRelabelOptions, type RelabelSummary } from './data/relabel.js';
export { relabelMultiRows, multiResponses, type MultiSchema, type MultiResponse, type MultiOptions, type MultiRelabelSummary } from './data/relabel_multi.js';
export { LogpCache, scoreCached, hashModelDir, hashJson, type LogpEntry, type CachedScoreStats } from './verify/logp_cache.js';
export { implicitRewardsFromScorers, implicitReward, cachedLogps, rowKey, type CompletionRow, type LogpScorer, type ModelScorer, type ScoringOptions, type ImplicitRewardOptions, type ImplicitRewardResult } from './verify/implicit_reward.js';
export { goalGrid, goalPosterior, verifierScoresFromScorer, type VerifierOptions, type VerifierScore } from './verify/verifier.js';
export { goalConditioner, type GoalConditionOptions } from './verify/goal_condition.js';
export { implicitRewards, verifierScores, modelScorer, memoryModelKey, type ImplicitRewardsOptions, type VerifierScoresOptions, type TokenizationOptions } from './verify/model_scoring.js';
export { relabelFile, type RelabelFileOptions, type RelabelFileResult } from './pipeline/relabel.js';
export { scoreFile, type ScoreFileOptions, type ScoreFileResult } from './pipeline/score.js';
export { readRelabelInput, type RelabelInput, type ReadInputOptions } from './pipeline/relabel_io.js';
export { loadScorer, policyDefaults } from './pipeline/model_dirs.js';
export { runIra, iraPaths, initTinyModel, type IraResult, type IraStage } from './pipeline/ira.js';
export { IRA_OPTIONS, type IraConfig } from './pipeline/ira_options.js';
export { RELABEL_OPTIONS, SCORE_OPTIONS, type RelabelConfig, type ScoreConfig } from './pipeline/options.js';
export { Model, type ForwardOpts } from './model/model.js';
export { parseModelConfig, configToJson, countParams, type ModelConfig, type ModelType, type Llama3RopeScaling } from './model/config.js';
export { ParamStore, paramLayout, layerNames, type ParamEntry } from './model/params.js';
export { readSafetensorsHeader, readTensorInto, loadWeights, saveSafetensors, type StHeader, type StTensorInfo } from './model/safetensors.js';
export { matmul, matmulRef, gemmSettings, gemmStats, type MatmulOpts } from './model/gemm.js';
export { initParams } from './model/init.js';
export { initModelFolder, type InitResult, type InitTokenizerSpec } from './model/init_folder.js';
export * as kernels from './model/kernels/index.js';
export {
  trainSft, trainDpo, SFT_OPTIONS, DPO_OPTIONS, pairLoss, rewardMetrics, LOSS_TYPES, dpoObjective, sftObjective,
  sequenceLogps, collatePreference, collateSft, AdamW, lrMultiplier, precomputeRefLogps, listCheckpoints,
  type SftConfig, type DpoConfig, type TrainResult, type TrainSftOptions, type TrainDpoOptions, type SftExample,
  type TokenizedPair as TokenizedPreferencePair, type TokenizedSft, type LossType, type PairLogps, type TrainableModel,
} from './train/index.js';
export { LoraAdapter, LORA_TARGETS, loraScaling, peftName, type LoraConfig, type LoraTarget } from './model/lora.js';
export { LoraModel, LORA_OPTIONS, loraConfigFrom } from './model/lora_model.js';
export { saveAdapter, loadAdapter, mergeAdapter, readAdapterConfig, peftAdapterConfig } from './model/lora_io.js';
export { trainLoraSft, trainLoraDpo, splitLoraKeys } from './model/lora_train.js';
export {
  getTask, TASK_NAMES, makeSortTask, makeReverseTask, sortReward, reverseReward, generateTaskData, binarize, judgeScore,
  scoreStats, writeTaskDataset, type Task, type Behaviour, type TaskName, type GenerateOptions as TaskGenerateOptions,
  type JudgeOptions, type TaskDataset, type H4Row, type MultiResponseRow,
} from './tasks/index.js';
export { mean, sampleSd, meanCI, tQuantile, tCdf, winRate, topShare, pearson, spearman, type MeanCI } from './eval/index.js';
export { renderReport, writeReport, lineChart, barChart, type ReportDoc, type Section as ReportSection, type Block as ReportBlock, type LineChartSpec, type BarChartSpec } from './report/index.js';
export { runToyExperiment, solveToyContext, relabelToy, TOY_EXAMPLES, type ToyResult, type ToyContext } from './experiments/toy.js';
export { runDemo, formatSummaryTable, DEMO_PRESETS, type DemoOptions, type DemoSummary } from './experiments/demo.js';
export { runExperiment, writeExperimentReport, readExperimentFile, EXPERIMENT_NAMES, type ExperimentFile, type ExperimentRunOptions } from './experiments/run.js';
export { EXPERIMENTS } from './experiments/experiments.js';
export { RUN_OPTIONS, prepareRun, trainVariant, variantData, runHeadlineSeed, type RunConfig, type RunContext, type Variant } from './experiments/pipeline.js';
