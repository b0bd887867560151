// The table of radpo's commands, in the order --help lists them. Each entry lives in its own file.

import type { Command } from '../command.js';

export const COMMANDS: Command[] = [
];
