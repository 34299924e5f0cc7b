// Errors of the config area: every problem of a config, route or app file, with its position.
import { GatehouseError } from '../core/index.js';

/** One problem found in a config, route or app file, with its position (1-based). */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;                   // key path, e.g. `dns.ttl` or `routes[2].to`
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path ? `${p.path}: ` : '';
  return `${p.file}:${p.line}:${p.col}: ${where}${p.message}`;
}

/** A config file that cannot be used; `problems` lists every reason, not only the first. */
export class ConfigError extends GatehouseError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super('ERR_CONFIG_INVALID', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}
