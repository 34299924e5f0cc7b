// `gatehouse <command>`: find the command, answer --help, run it, map errors to exit codes.
import { ConfigError } from '../config/index.js';
import { GatehouseError, stackOf } from '../core/index.js';
import { UsageError } from './arguments.js';
import { OVERVIEW, findCommand, wantsHelp } from './commands.js';
import { EXIT_INVALID_INPUT, EXIT_OK, exitCodeFor } from './exit-codes.js';

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    process.stderr.write(OVERVIEW);
    return EXIT_INVALID_INPUT;
  }
  if (name === 'help' || wantsHelp([name])) {
    const topic = name === 'help' && args[0] ? findCommand(args[0]) : undefined;
    process.stdout.write(topic?.usage ?? OVERVIEW);
    return EXIT_OK;
  }
  if (name === '--version' || name === '-version') return findCommand('version')!.run([]);
  const command = findCommand(name);
  if (!command) {
    process.stderr.write(`gatehouse: unknown command "${name}"\nRun 'gatehouse --help' for the list of commands.\n`);
    return EXIT_INVALID_INPUT;
  }
  if (wantsHelp(args)) {
    process.stdout.write(command.usage);
    return EXIT_OK;
  }
  try {
    return await command.run(args);
  } catch (error) {
    return reportFailure(error, name);
  }
}

/** Prints the failure for the operator; the exit code comes from exitCodeFor (cli/exit-codes.ts). */
export function reportFailure(error: unknown, command?: string): number {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  // One line and where to look, not the whole usage: the error stays visible.
  else if (error instanceof UsageError) process.stderr.write(`${error.message}\nRun 'gatehouse ${command ? `${command} ` : ''}--help' for usage.\n`);
  else if (error instanceof GatehouseError) process.stderr.write(`gatehouse: ${error.message} (${error.code})\n`);
  else process.stderr.write(`gatehouse: ${stackOf(error) ?? (error instanceof Error ? error.message : String(error))}\n`);
  return exitCodeFor(error);
}
