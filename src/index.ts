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
export { KvCache, DecodeWorkspace, forwardCached, type DecoderWeights } from './model/kv_cache.js';
export { exportGguf, writeGguf, readGgufHeader, readGgufFile, permuteForRope, type ExportGgufOptions, type ExportGgufResult, type GgufKv, type GgufTensor } from './model/gguf.js';
export { Tokenizer, type TokenizerFiles, type EncodeOptions, type DecodeOptions } from './model/tokenizer.js';
export { applyChatTemplate, selectChatTemplate, type ChatMessage, type ChatTemplates, type ChatTemplateOptions } from './model/chat_template.js';
export { tokenizePair, checkPairRow, isConversation, type PairRow, type TokenizePairOptions, type TokenizedPair } from './model/tokenize_pair.js';
export { buildTokenizer, writeTokenizer, CHATML_TEMPLATE, DEFAULT_SPECIAL_TOKENS, type BuildTokenizerOptions, type BuiltTokenizer } from './model/tokenizer_build.js';
export { scoreCompletions, scoreTokenized, completionLogprobs, type LogitsModel, type CompletionScore, type ScoreOptions } from './model/logprobs.js';
export * from './data/index.js';
