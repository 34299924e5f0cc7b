// `gatehouse <command>`: parse arguments, run the command, map errors to exit codes.
import { ConfigError } from '../config/index.js';
import { GatehouseError } from '../core/index.js';
import { UsageError } from './arguments.js';
import { EXIT_INVALID_INPUT, EXIT_OK, exitCodeFor } from './exit-codes.js';
import { runCommand } from './run-command.js';
import { mesosDnsCommand } from './mesos-dns-command.js';
import { validateCommand } from './validate-command.js';
import { tokenCommand } from './token-command.js';
import { userCommand } from './user-command.js';
import { VERSION } from './version.js';

const USAGE = `usage: gatehouse <command> [options]

commands:
  run [--config FILE] [--pretty]       run everything the config enables (default config/gatehouse.yaml)
  mesos-dns -config FILE [-version]    drop-in Mesos-DNS: same config.json, names, answers and HTTP API
  validate [--config FILE]             check the config without starting anything
  token --uid UID [--ttl D]            print a token signed with the instance's key
  user add UID [--groups a,b]          add or update a user (password on stdin)
  version                              print the version
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(args);
      case 'mesos-dns':
        return await mesosDnsCommand(args);
      case 'validate':
        return await validateCommand(args);
      case 'token':
        return await tokenCommand(args);
      case 'user':
        return await userCommand(args);
      case 'version':
      case '--version':
      case '-version':
        process.stdout.write(`gatehouse ${VERSION}\n`);
        return EXIT_OK;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? EXIT_INVALID_INPUT : EXIT_OK;
      default:
        process.stderr.write(`gatehouse: unknown command "${command}"\n\n${USAGE}`);
        return EXIT_INVALID_INPUT;
    }
  } catch (error) {
    return reportFailure(error);
  }
}

/** Prints the failure for the operator; the exit code comes from exitCodeFor (cli/exit-codes.ts). */
export function reportFailure(error: unknown): number {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else if (error instanceof UsageError) process.stderr.write(`${error.message}\n\n${USAGE}`);
  else if (error instanceof GatehouseError) process.stderr.write(`gatehouse: ${error.message} (${error.code})\n`);
  else process.stderr.write(`gatehouse: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return exitCodeFor(error);
}
