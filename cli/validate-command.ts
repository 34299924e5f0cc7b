// `gatehouse validate [--config FILE]`: one line per problem, exit 0 when clean, 1 otherwise.
import { ConfigError, formatProblem, loadConfig } from '../config/index.js';
import { loadRouteFiles } from '../gateway/index.js';
import { formatAppProblem, isAppError, loadAppFiles } from '../cluster/local/index.js';
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
  // And every app file of the embedded cluster (when its directory exists); warnings are printed, not failures.
  let appFiles: Awaited<ReturnType<typeof loadAppFiles>> = new Map();
  try {
    appFiles = await loadAppFiles(config.cluster.local.apps, new Map());
  } catch (error) {
    const dir = config.cluster.local.apps;
    process.stdout.write(`${dir}:1:1: cluster.local.apps: ${(error as Error).message.replace(`${dir}: `, '')}\n`);
    return EXIT_INVALID_INPUT;
  }
  const appProblems = [...appFiles.values()].flatMap((f) => f.problems);
  for (const problem of appProblems) process.stdout.write(`${formatAppProblem(problem)}\n`);
  if (errors.length || appProblems.some(isAppError)) return EXIT_INVALID_INPUT;
  const count = (n: number, what: string) => `${n} ${what} file${n === 1 ? '' : 's'}`;
  process.stdout.write(`${file}: ok (${count(routeFiles.size, 'route')}, ${count(appFiles.size, 'app')})\n`);
  return EXIT_OK;
}
