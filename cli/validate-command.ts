// `gatehouse validate [--config FILE]`: the config and every file it names (users, routes, apps);
// one line per problem, exit 0 when clean, 1 otherwise.
import { readFile, stat } from 'node:fs/promises';
import { parseUsers } from '../authn/index.js';
import { ConfigError, formatProblem, loadConfig, type ConfigProblem } from '../config/index.js';
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
  // The users file, with the rules the gateway applies when it reads it (a missing one is created
  // with an admin on first start, so it is no problem).
  const userProblems = config.authn.enabled ? await usersFileProblems(config.authn.users) : [];
  for (const problem of userProblems) process.stdout.write(`${formatProblem(problem)}\n`);
  // Every route file too, each on its own (a broken one would be quarantined at run time).
  const routeFiles = await loadRouteFiles(config.gateway.routes, new Map());
  const errors = [...routeFiles.values()].flatMap((f) => f.errors);
  for (const line of errors) process.stdout.write(`${line}\n`);
  // And every app file of the embedded cluster (when its directory exists); warnings are printed, not failures.
  let appFiles: Awaited<ReturnType<typeof loadAppFiles>> = new Map();
  // Before the first start the apps directory is still to be copied from seedApps: check those.
  const appsMissing = await stat(config.cluster.local.apps).then(() => false, () => true);
  const dir = appsMissing && config.cluster.local.seedApps ? config.cluster.local.seedApps : config.cluster.local.apps;
  try {
    appFiles = await loadAppFiles(dir, new Map());
  } catch (error) {
    process.stdout.write(`${dir}:1:1: cluster.local.apps: ${(error as Error).message.replace(`${dir}: `, '')}\n`);
    return EXIT_INVALID_INPUT;
  }
  const appProblems = [...appFiles.values()].flatMap((f) => f.problems);
  for (const problem of appProblems) process.stdout.write(`${formatAppProblem(problem)}\n`);
  if (userProblems.length || errors.length || appProblems.some(isAppError)) return EXIT_INVALID_INPUT;
  const count = (n: number, what: string) => `${n} ${what} file${n === 1 ? '' : 's'}`;
  process.stdout.write(`${file}: ok (${count(routeFiles.size, 'route')}, ${count(appFiles.size, 'app')})\n`);
  return EXIT_OK;
}

async function usersFileProblems(file: string): Promise<readonly ConfigProblem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? [] : [{ file, line: 1, col: 1, path: '', message: `cannot read the users file (${code ?? String(error)})` }];
  }
  try {
    parseUsers(text, file);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
