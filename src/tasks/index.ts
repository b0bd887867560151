// Synthetic tasks with exact rewards and their UltraFeedback-like data generator. Re-exports only.
export type { Task, Behaviour } from './task.js';
export { makeSortTask, sortReward, inversions, type SortTaskOptions } from './sort.js';
export { makeReverseTask, reverseReward, reverseTarget, type ReverseTaskOptions } from './reverse.js';
export { getTask, TASK_NAMES, type TaskName } from './registry.js';
export { generateTaskData, binarize, judgeScore, scoreStats, type GenerateOptions, type JudgeOptions, type TaskDataset, type H4Row, type MultiResponseRow, type ScoredResponse } from './generate.js';
export { writeTaskDataset, ultrafeedbackRow } from './io.js';
