// radpo's data layer in one import: readers, writers, schemas, goal text, augmentation, preparation, inspection.
// Not the trainers' batching (src/train) and not implicit-reward relabeling (src/data/relabel*.ts, src/verify).

export type { Message, PreferencePair, Row, LocatedRow } from './types.js';
export { readPreferencePairs, readSftExamples, readPrompts, type ReadPairsOptions, type SftExample, type PromptItem } from './pairs.js';
export { readRows, countRows, detectContainer, listSplits, type Container, type ReadRowsOptions } from './read.js';
export { writeJsonl, writeJsonArray, writeParquet, writeDatasetFolder, writeRowsTo, outputKind, datasetCard, type DatasetCard, type SplitInfo } from './write.js';
export { readParquetRows } from './parquet.js';
export { detectSchema, toPreferencePair, scorePaths, SCHEMAS, PAIR_SCHEMAS, type SchemaName, type FieldMap } from './schema.js';
export { getPath, parseFieldMap } from './fields.js';
export { parseHh, splitMessages, splitText } from './conversation.js';
export { goalText, formatScore, rescale, rescaleGoal, parseScale, REFERENCE_HEADER, type Goal, type GoalFormat } from './goal.js';
export { Relabeler, ULTRAFEEDBACK_ASPECTS, type Placement, type RelabelOptions } from './augment_row.js';
export { augmentPairs, conditionPairs, augmentFile, runAugment, writeEvalSplit, type AugmentOptions, type AugmentStats, type RunAugmentOptions } from './augment.js';
export { augmentMultiResponseFile, goalPairs, type MultiResponseOptions } from './multi.js';
export { prepareUltrafeedback, readPromptList, bestVsRandom, type PrepareUltrafeedbackOptions } from './prepare_ultrafeedback.js';
export { prepareHelpsteer2, type PrepareHelpsteer2Options } from './prepare_helpsteer2.js';
export { ultrafeedbackResponses, HELPSTEER2_ATTRIBUTES, promptId, type ScoredResponse } from './responses.js';
export { inspectDataset, formatInspect, type InspectReport } from './inspect.js';
export { InvalidRowError, RejectLog, type InvalidReason, type InvalidHandler } from './invalid.js';

/** A scored pair as augmentPairs takes it (any pair schema's row works too). */
export type { PreferencePair as ScoredPair } from './types.js';
