// The `radpo` command: finds the subcommand and runs it; user errors print a message (no stack) and exit 1.
// Not where work happens: each command lives in ./commands and calls one library function.

import { RadpoError } from '../util/errors.js';
import { VERSION } from '../version.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';

export async function main(argv: string[], commands: Command[] = COMMANDS): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(usage(commands));
    return argv.length === 0 ? 1 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    process.stdout.write(`radpo ${VERSION}\n`);
    return 0;
  }
  // Longest match of command words: 'train dpo' before 'train'.
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  const cmd = sorted.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!cmd) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0) {
      process.stderr.write(`radpo ${argv[0]}: choose one of:\n${group.map((c) => `  radpo ${c.name.padEnd(22)} ${c.summary}`).join('\n')}\n`);
      return argv.length === 1 ? 1 : 1;
    }
    process.stderr.write(`radpo: unknown command "${argv[0]}"\n\n${usage(commands)}`);
    return 1;
  }
  try {
    return await cmd.run(argv.slice(cmd.name.split(' ').length));
  } catch (e) {
    if (e instanceof RadpoError) {
      process.stderr.write(`radpo ${cmd.name}: error: ${e.message}\n`);
      return e.code === 'usage' ? 2 : 1;
    }
    throw e;
  }
}

function usage(commands: Command[]): string {
  const lines = [`radpo ${VERSION}: reward-augmented preference alignment of language models`, '', 'Usage: radpo <command> [options]   (radpo <command> --help for its options)', '', 'Commands:'];
  for (const c of commands) lines.push(`  ${c.name.padEnd(24)} ${c.summary}`);
  lines.push('', '  --version                print the version', '');
  return lines.join('\n');
}
