// The table of radpo's commands, in the order --help lists them. Each entry lives in its own file.

import type { Command } from '../command.js';
import { augmentCommand } from './augment.js';
import { prepareUltrafeedbackCommand, prepareHelpsteer2Command } from './prepare.js';
import { inspectCommand } from './inspect.js';
import { exportTrlCommand } from './export_trl.js';
import { loraSftCommand, loraDpoCommand, loraMergeCommand } from './lora.js';
import { generateCommand } from './generate.js';
import { exportGgufCommand } from './export_gguf.js';
import { logprobsCommand } from './logprobs.js';
import { relabelCommand } from './relabel.js';
import { scoreCommand } from './score.js';
import { pipelineIraCommand } from './pipeline.js';
import { trainSftCommand, trainDpoCommand } from './train.js';
import { initCommand } from './init.js';
import { demoCommand } from './demo.js';
import { experimentCommand } from './experiment.js';
import { reportCommand } from './report.js';

export const COMMANDS: Command[] = [
  // data
  prepareUltrafeedbackCommand,
  prepareHelpsteer2Command,
  augmentCommand,
  inspectCommand,
  // model
  initCommand,
  logprobsCommand,
  generateCommand,
  exportGgufCommand,
  // training
  trainSftCommand,
  trainDpoCommand,
  loraSftCommand,
  loraDpoCommand,
  loraMergeCommand,
  // relabeling and verification
  relabelCommand,
  scoreCommand,
  pipelineIraCommand,
  // evidence
  demoCommand,
  experimentCommand,
  reportCommand,
  // scale-out
  exportTrlCommand,
];
