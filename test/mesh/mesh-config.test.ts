// mesh.workers in gatehouse.yaml: a number of processes or `auto`, and bad values reported as
// file:line:col like every other key.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, parseConfig } from '../../config/index.js';

function outcome(yaml: string): number | string[] {
  try {
    return parseConfig(yaml, 'g.yaml').mesh.workers;
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
}

describe('mesh.workers', () => {
  const cases: { name: string; yaml: string; want: number | string[] }[] = [
    { name: 'absent: the main process only', yaml: '', want: 1 },
    { name: 'a number', yaml: 'mesh:\n  workers: 3\n', want: 3 },
    { name: 'auto: one per core', yaml: 'mesh:\n  workers: auto\n', want: availableParallelism() },
    { name: 'zero', yaml: 'mesh:\n  workers: 0\n', want: ['g.yaml:2:12: mesh.workers: must be >= 1, got number 0'] },
    {
      name: 'neither auto nor a number',
      yaml: 'mesh:\n  workers: all\n',
      want: ['g.yaml:2:12: mesh.workers: must be "auto" (one per core) or a number of processes, got string "all"'],
    },
    { name: 'too many', yaml: 'mesh:\n  workers: 1000\n', want: ['g.yaml:2:12: mesh.workers: must be <= 256, got number 1000'] },
  ];
  for (const c of cases) it(c.name, () => expect(outcome(c.yaml)).toEqual(c.want));
});
