// `gatehouse validate [--config FILE]`: one line per problem, exit 0 when clean, 1 otherwise.
import { ConfigError, formatProblem, loadConfig } from '../config/index.js';
import { parseCommandArgs } from './arguments.js';
import { EXIT_INVALID_INPUT, EXIT_OK } from './exit-codes.js';

export async function validateCommand(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('validate', args, {
    config: { type: 'string', short: 'c', default: 'config/gatehouse.yaml' },
  });
  const file = values.config as string;
  try {
    await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stdout.write(`${formatProblem(problem)}\n`);
    return EXIT_INVALID_INPUT;
  }
  process.stdout.write(`${file}: ok\n`);
  return EXIT_OK;
}
