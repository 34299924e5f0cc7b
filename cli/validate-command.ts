// `gatehouse validate [--config FILE]`: one line per problem, exit 0 when clean, 1 otherwise.
import { ConfigError, formatProblem, loadConfig } from '../config/index.js';
import { loadRouteFiles } from '../gateway/index.js';
import { parseCommandArgs } from './arguments.js';
import { EXIT_INVALID_INPUT, EXIT_OK } from './exit-codes.js';

export async function validateCommand(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('validate', args, {
    config: { type: 'string', short: 'c', default: 'config/gatehouse.yaml' },
  });
  const file = values.config as string;
  let config;
  try {
    config = await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stdout.write(`${formatProblem(problem)}\n`);
    return EXIT_INVALID_INPUT;
  }
  // Every route file too, each on its own (a broken one would be quarantined at run time).
  const routeFiles = await loadRouteFiles(config.gateway.routes, new Map());
  const errors = [...routeFiles.values()].flatMap((f) => f.errors);
  for (const line of errors) process.stdout.write(`${line}\n`);
  if (errors.length) return EXIT_INVALID_INPUT;
  process.stdout.write(`${file}: ok (${routeFiles.size} route file${routeFiles.size === 1 ? '' : 's'})\n`);
  return EXIT_OK;
}
