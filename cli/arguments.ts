// Argument parsing on node:util's parseArgs. Mesos-DNS users type Go-style flags (`-config FILE`,
// `-config=FILE`, `-version`, `-v=1`), so single-dash long flags are accepted as their `--` twins.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GatehouseError } from '../core/index.js';

export class UsageError extends GatehouseError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

export function normaliseGoFlags(args: readonly string[]): string[] {
  return args.map((arg) => (/^-[A-Za-z][\w-]+(=.*)?$/.test(arg) ? `-${arg}` : arg));
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(command: string, args: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: normaliseGoFlags(args), options, allowPositionals, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`gatehouse ${command}: ${reason}`);
  }
}
