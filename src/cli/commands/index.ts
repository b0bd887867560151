// The table of radpo's commands, in the order --help lists them. Each entry lives in its own file.

import type { Command } from '../command.js';
import { augmentCommand } from './augment.js';
import { prepareUltrafeedbackCommand, prepareHelpsteer2Command } from './prepare.js';
import { inspectCommand } from './inspect.js';
import { exportTrlCommand } from './export_trl.js';
import { generateCommand } from './generate.js';
import { exportGgufCommand } from './export_gguf.js';
import { logprobsCommand } from './logprobs.js';
import { relabelCommand } from './relabel.js';
import { scoreCommand } from './score.js';
import { pipelineIraCommand } from './pipeline.js';

export const COMMANDS: Command[] = [
  prepareUltrafeedbackCommand,
  prepareHelpsteer2Command,
  augmentCommand,
  inspectCommand,
  exportTrlCommand,
  generateCommand,
  exportGgufCommand,
  logprobsCommand,
  relabelCommand,
  scoreCommand,
  pipelineIraCommand,
];
