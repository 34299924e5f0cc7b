// `gatehouse <command>`: find the command, answer --help, run it, map errors to exit codes.
import { ConfigError, GatehouseError } from '../config/index.js';
import { UsageError } from './arguments.js';
import { OVERVIEW, findCommand, wantsHelp } from './commands.js';
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_RUNTIME_FAILURE } from './exit-codes.js';

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

/** Invalid input (config, arguments) exits 1; anything that went wrong while running exits 2. */
export function reportFailure(error: unknown, command?: string): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    return EXIT_INVALID_INPUT;
  }
  if (error instanceof UsageError) {
    // One line and where to look, not the whole usage: the error stays visible.
    process.stderr.write(`${error.message}\nRun 'gatehouse ${command ? `${command} ` : ''}--help' for usage.\n`);
    return EXIT_INVALID_INPUT;
  }
  if (error instanceof GatehouseError) {
    process.stderr.write(`gatehouse: ${error.message} (${error.code})\n`);
    return EXIT_RUNTIME_FAILURE;
  }
  process.stderr.write(`gatehouse: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT_RUNTIME_FAILURE;
}
