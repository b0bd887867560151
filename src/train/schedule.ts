// Learning-rate schedules with warmup (the multipliers of transformers' get_scheduler). Not an optimizer.
// Step k (0-based) of the optimizer uses lr = learning_rate * multiplier(k); HF logs that value at step k + 1.

export const LR_SCHEDULERS = ['linear', 'cosine', 'constant', 'constant_with_warmup'] as const;
export type LrSchedulerType = (typeof LR_SCHEDULERS)[number];

/** Warmup steps: warmup_steps when > 0, else ceil(total * warmup_ratio) (HF TrainingArguments.get_warmup_steps). */
export function warmupSteps(total: number, warmupStepsOpt: number, warmupRatio: number): number {
  if (warmupStepsOpt > 0) return Math.floor(warmupStepsOpt);
  return Math.ceil(total * warmupRatio);
}

/** The multiplier at optimizer step `step` of `total`, with `warmup` linear warmup steps (starts at 0). */
export function lrMultiplier(type: LrSchedulerType, step: number, total: number, warmup: number): number {
  if (type === 'constant') return 1;
  if (step < warmup) return step / Math.max(1, warmup);
  if (type === 'constant_with_warmup') return 1;
  const rest = Math.max(1, total - warmup);
  if (type === 'linear') return Math.max(0, (total - step) / rest);
  // cosine: get_cosine_schedule_with_warmup with num_cycles = 0.5
  const progress = (step - warmup) / rest;
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
