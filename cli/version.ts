// The version reported by `--version` and the Mesos-DNS `/v1/version` endpoint.
import { readFileSync } from 'node:fs';

// Compiled code lives one level deeper (dist/cli) than the sources (cli), so look in both places.
function readVersion(): string {
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gatehouse' && pkg.version) return pkg.version;
    } catch {
      // not at this level; try the next
    }
  }
  return 'dev';
}

export const VERSION = readVersion();
