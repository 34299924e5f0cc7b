// Start-up errors of `gatehouse run`, as a user meets them: each ends the process with one line
// naming the culprit (plus a hint for usage errors) and exit code 1 (invalid input) or 2 (runtime
// failure), never a hang, a stack trace or a silent exit.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGatehouse } from '../support/gatehouse-process.js';
import { writeSigningKey } from '../support/premade-authn.js';

let dir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-startup-errors-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as AddressInfo).port;
  await writeFile(join(dir, 'state.json'), JSON.stringify({ frameworks: [], slaves: [], leader: 'master@127.0.0.1:5050' }));
  await writeFile(join(dir, 'bad-key.pem'), 'not a key\n', { mode: 0o600 });
  await writeFile(join(dir, 'users-bad.yaml'), 'users:\n  - { uid: "Bob Smith", password: x }\n', { mode: 0o600 });
  await mkdir(join(dir, 'a-directory'));
  await mkdir(join(dir, 'apps.d'));
});

afterAll(async () => {
  busy?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A config with a file source, nothing listening except what a case turns on. */
function config(lines: readonly string[]): string {
  return [
    'cluster: { source: file, file: { path: state.json }, local: { apps: apps.d, workDir: work, http: "127.0.0.1:0", isolation: none } }',
    'dns: { enabled: false }',
    'gateway: { enabled: false }',
    'authn: { signingKey: key.pem, users: users.yaml }',
    ...lines,
  ].join('\n');
}

interface Case {
  readonly name: string;
  readonly args?: (file: string) => string[];
  readonly yaml?: () => string;
  readonly code: 1 | 2;
  readonly stderr: RegExp;
}

const cases: Case[] = [
  {
    name: 'unknown option',
    args: (f) => ['run', '--config', f, '--bogus'],
    yaml: () => config([]),
    code: 1,
    stderr: /^gatehouse run: Unknown option '--bogus'.*\nRun 'gatehouse run --help' for usage\.\n$/,
  },
  {
    name: 'missing config file',
    args: () => ['run', '--config', join(dir, 'nope.yaml')],
    code: 1,
    stderr: /^.*nope\.yaml:1:1: cannot read the config file \(ENOENT\)\n$/,
  },
  {
    name: 'config file is a directory',
    args: () => ['run', '--config', join(dir, 'a-directory')],
    code: 1,
    stderr: /^.*a-directory:1:1: cannot read the config file \(EISDIR\)\n$/,
  },
  {
    name: 'gateway without authn',
    yaml: () =>
      config([])
        .replace('gateway: { enabled: false }', 'gateway: { listen: "127.0.0.1:0" }')
        .replace('authn: {', 'authn: { enabled: false,'),
    code: 1,
    stderr: /^.*gatehouse\.yaml:4:19: authn\.enabled: is false while gateway\.enabled is true.*\(ERR_GATEWAY_NEEDS_AUTHN\)\n$/,
  },
  {
    name: 'DNS port in use',
    yaml: () => config([]).replace('dns: { enabled: false }', `dns: { listen: "127.0.0.1:${busyPort}", http: "" }`),
    code: 2,
    stderr: /^gatehouse: .*127\.0\.0\.1:\d+.*EADDRINUSE.*\(ERR_[A-Z_]+\)\n$/,
  },
  {
    name: 'DNS HTTP port in use',
    yaml: () => config([]).replace('dns: { enabled: false }', `dns: { listen: "127.0.0.1:0", http: "127.0.0.1:${busyPort}" }`),
    code: 2,
    stderr: /^gatehouse: .*127\.0\.0\.1:\d+.*EADDRINUSE.*\(ERR_[A-Z_]+\)\n$/,
  },
  {
    name: 'gateway port in use while the embedded cluster starts',
    yaml: () =>
      config([])
        .replace('source: file', 'source: local')
        .replace('gateway: { enabled: false }', `gateway: { listen: "127.0.0.1:${busyPort}", workers: 1 }`),
    code: 2,
    stderr: /gatehouse: .*127\.0\.0\.1:\d+.*EADDRINUSE.*\(ERR_[A-Z_]+\)\n$/,
  },
  {
    name: 'embedded cluster port in use',
    yaml: () => config([]).replace('source: file', 'source: local').replace('http: "127.0.0.1:0"', `http: "127.0.0.1:${busyPort}"`),
    code: 2,
    stderr: /^gatehouse: cluster\.local\.http: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\) \(ERR_CLUSTER_LOCAL_LISTEN\)\n$/,
  },
  {
    name: 'signing key is not a key',
    yaml: () =>
      config([])
        .replace('key.pem', join(dir, 'bad-key.pem'))
        .replace('gateway: { enabled: false }', 'gateway: { listen: "127.0.0.1:0", workers: 1 }'),
    code: 2,
    stderr: /^gatehouse: .*bad-key\.pem.*\(ERR_[A-Z_]+\)\n$/,
  },
  {
    name: 'signing key path is a directory',
    yaml: () =>
      config([])
        .replace('key.pem', join(dir, 'a-directory'))
        .replace('gateway: { enabled: false }', 'gateway: { listen: "127.0.0.1:0", workers: 1 }'),
    code: 2,
    stderr: /^gatehouse: .*a-directory.*\(ERR_[A-Z_]+\)\n$/,
  },
  {
    name: 'users file breaks its schema',
    yaml: () =>
      config([])
        .replace('users.yaml', join(dir, 'users-bad.yaml'))
        .replace('gateway: { enabled: false }', 'gateway: { listen: "127.0.0.1:0", workers: 1 }'),
    code: 1,
    stderr: /^.*users-bad\.yaml:2:12: users\[0\]\.uid: .*\n/,
  },
];

// Each case is one short-lived process in a directory of its own: they run at once.
describe.concurrent('gatehouse run: start-up errors end the process with one line and exit 1 or 2', () => {
  it.each(cases)('$name', async (c) => {
    const caseDir = await mkdtemp(join(dir, 'case-'));
    // The run's test key: a case that gets as far as authn reads it instead of generating one (up to 0.5 s of CPU).
    await writeSigningKey(join(caseDir, 'key.pem'));
    const file = join(caseDir, 'gatehouse.yaml');
    if (c.yaml) await writeFile(file, c.yaml());
    const result = await runGatehouse(c.args ? c.args(file) : ['run', '--config', file], { cwd: caseDir });
    expect(result.stderr).toMatch(c.stderr);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.code).toBe(c.code);
  }, 30_000);
});

describe('gatehouse validate applies the cross-key rules of run', () => {
  it('gateway.enabled (the default) with authn.enabled: false is reported at authn.enabled, exit 1', async () => {
    const caseDir = await mkdtemp(join(dir, 'validate-'));
    const file = join(caseDir, 'gatehouse.yaml');
    await writeFile(
      file,
      `cluster: { source: file, file: { path: state.json }, local: { apps: ${JSON.stringify(join(caseDir, 'apps'))} } }\ngateway: { routes: ${JSON.stringify(join(caseDir, 'routes'))} }\nauthn:\n  enabled: false\n`,
    );
    const result = await runGatehouse(['validate', '--config', file], { cwd: caseDir });
    expect(result.stdout).toBe(
      `${file}:4:12: authn.enabled: is false while gateway.enabled is true: Gatehouse does not run an unauthenticated gateway; set gateway.enabled: false, or keep authn on and open single routes with auth: none (ERR_GATEWAY_NEEDS_AUTHN)\n`,
    );
    expect(result.code).toBe(1);
  }, 30_000);
});
