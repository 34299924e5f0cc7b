// Typed errors with stable codes. Every area derives its own errors from GatehouseError so callers
// (the CLI, the HTTP APIs) can map codes to exit statuses and responses without parsing messages.

export class GatehouseError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

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
