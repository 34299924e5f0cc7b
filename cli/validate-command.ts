// `gatehouse validate [--config FILE]`: one line per problem, exit 0 when clean, 1 otherwise.
import { ConfigError, formatProblem, loadConfig } from '../config/index.js';
import { loadAppFiles } from '../cluster/local/index.js';
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
  // And every app file of the embedded cluster (read by `cluster.source: local`).
  const appFiles = await loadAppFiles(config.cluster.local.apps, new Map());
  const errors = [...[...routeFiles.values()].flatMap((f) => f.errors), ...[...appFiles.values()].flatMap((f) => f.problems.map(formatProblem))];
  for (const line of errors) process.stdout.write(`${line}\n`);
  for (const note of [...appFiles.values()].flatMap((f) => f.notes)) process.stdout.write(`${note}\n`);
  if (errors.length) return EXIT_INVALID_INPUT;
  const count = (n: number, what: string): string => `${n} ${what} file${n === 1 ? '' : 's'}`;
  process.stdout.write(`${file}: ok (${count(routeFiles.size, 'route')}, ${count(appFiles.size, 'app')})\n`);
  return EXIT_OK;
}
