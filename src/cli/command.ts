// The shape of one CLI command and the helper that turns an option table into a parsed, resolved config.
// Commands stay thin: parse, resolve, call one library function, print a summary.

import { formatHelp, parseArgv, readRecipe, resolveOptions, type OptionTable, type Resolved } from '../util/options.js';
import { RadpoError } from '../util/errors.js';

export interface Command {
  /** Words that select the command, e.g. 'augment' or 'train dpo'. */
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

export interface CommandSpec<T extends OptionTable> {
  usage: string;                 // e.g. 'radpo augment INPUT -o OUTPUT [options]'
  description: string;
  options: T;
  positionals?: { min: number; max: number };
  /** When true, `--config FILE` reads a YAML recipe with the same keys (flags override it). */
  recipe?: boolean;
}

export interface ParsedCommand<T extends OptionTable> {
  options: Resolved<T>;
  positionals: string[];
  /** The keys that came from the user (recipe or flags), for recording the resolved config. */
  given: Set<string>;
}

/** Parses argv for a command; returns null after printing --help. */
export function parseCommand<T extends OptionTable>(spec: CommandSpec<T>, argv: string[]): ParsedCommand<T> | null {
  const extra: OptionTable = spec.recipe ? { config: { type: 'string', help: 'YAML recipe with the same keys (flags override it)' } } : {};
  const parsed = parseArgv(spec.options, argv, extra);
  if (parsed.help) {
    process.stdout.write(formatHelp(spec.usage, spec.description, { ...spec.options, ...extra }) + '\n');
    return null;
  }
  const { config, ...flags } = parsed.flags;
  const recipe = spec.recipe && typeof config === 'string' ? readRecipe(spec.options, config) : {};
  const pos = spec.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length < pos.min || parsed.positionals.length > pos.max) {
    throw new RadpoError('usage', `expected ${pos.min === pos.max ? pos.min : `${pos.min}-${pos.max}`} positional argument(s), got ${parsed.positionals.length} (${parsed.positionals.join(' ') || 'none'}); usage: ${spec.usage}`);
  }
  const options = resolveOptions(spec.options, recipe, flags);
  return { options, positionals: parsed.positionals, given: new Set([...Object.keys(recipe), ...Object.keys(flags)]) };
}
