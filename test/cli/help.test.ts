// `gatehouse --help` and `gatehouse COMMAND --help` print that command's usage and exit 0; a usage
// error prints one line and a hint to --help, never the whole usage.
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { runGatehouse } from '../support/gatehouse-process.js';

/** Runs the CLI's entry in this process and captures what it writes. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('help', () => {
  it.each([
    { name: '--help', argv: ['--help'], starts: 'usage: gatehouse <command>' },
    { name: '-h', argv: ['-h'], starts: 'usage: gatehouse <command>' },
    { name: 'help', argv: ['help'], starts: 'usage: gatehouse <command>' },
    { name: 'help user', argv: ['help', 'user'], starts: 'usage: gatehouse user add UID' },
    { name: 'run --help', argv: ['run', '--help'], starts: 'usage: gatehouse run [--config FILE]' },
    { name: 'run --config x --help (help wins over other options)', argv: ['run', '--config', '/nonexistent', '--help'], starts: 'usage: gatehouse run' },
    { name: 'mesos-dns -help (Go style)', argv: ['mesos-dns', '-help'], starts: 'usage: gatehouse mesos-dns -config FILE' },
    { name: 'validate -h', argv: ['validate', '-h'], starts: 'usage: gatehouse validate' },
    { name: 'token --help', argv: ['token', '--help'], starts: 'usage: gatehouse token --uid UID' },
    { name: 'user add --help', argv: ['user', 'add', '--help'], starts: 'usage: gatehouse user add UID' },
    { name: 'version --help', argv: ['version', '--help'], starts: 'usage: gatehouse version' },
  ])('$name prints that usage on stdout and exits 0', async ({ argv, starts }) => {
    const result = await cli(argv);
    expect(result.stdout.startsWith(starts)).toBe(true);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('the overview names every command', async () => {
    const { stdout } = await cli(['--help']);
    for (const command of ['run', 'mesos-dns', 'validate', 'token', 'user', 'version']) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
  });

  it('through the real binary: gatehouse user --help exits 0 with the user usage', async () => {
    const result = await runGatehouse(['user', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: gatehouse user add UID.*\n {7}gatehouse user list.*\n {7}gatehouse user remove UID/);
  });
});

describe('usage errors: one line and a hint', () => {
  it.each([
    {
      name: 'unknown command',
      argv: ['frobnicate'],
      stderr: /^gatehouse: unknown command "frobnicate"\nRun 'gatehouse --help' for the list of commands\.\n$/,
    },
    {
      name: 'unknown option',
      argv: ['validate', '--frob'],
      stderr: /^gatehouse validate: Unknown option '--frob'.*\nRun 'gatehouse validate --help' for usage\.\n$/,
    },
    {
      name: 'token without --uid',
      argv: ['token'],
      stderr: /^gatehouse token: --uid is required\nRun 'gatehouse token --help' for usage\.\n$/,
    },
    { name: 'user without action', argv: ['user'], stderr: /^gatehouse user: .*\nRun 'gatehouse user --help' for usage\.\n$/ },
    {
      name: 'user frob',
      argv: ['user', 'frob'],
      stderr: /^gatehouse user: unknown action "frob".*\nRun 'gatehouse user --help' for usage\.\n$/,
    },
    { name: 'no command at all', argv: [], stderr: /^usage: gatehouse <command>/ },
  ])('$name exits 1', async ({ argv, stderr }) => {
    const result = await cli(argv);
    expect(result.stderr).toMatch(stderr);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
  });
});
