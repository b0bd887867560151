// The named synthetic tasks radpo ships, looked up by name from the CLI and experiments. Not the tasks themselves.

import { RadpoError } from '../util/errors.js';
import { makeSortTask } from './sort.js';
import { makeReverseTask } from './reverse.js';
import type { Task } from './task.js';

export const TASK_NAMES = ['sort', 'reverse'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export function getTask(name: string): Task {
  switch (name) {
    case 'sort': return makeSortTask();
    case 'reverse': return makeReverseTask();
    default: throw new RadpoError('usage', `unknown task (known: ${TASK_NAMES.join(', ')})`, { field: 'task', value: name });
  }
}
