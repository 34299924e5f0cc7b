// A task gets what Mesos gives a task (MESOS_* variables, its app's env, PATH and locale), never
// Gatehouse's own environment: tokens, cloud keys and passwords in the environment that started
// Gatehouse must not reach the processes of the apps it runs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDefinition } from '../../support/local-apps.js';
import { startTestCluster, type TestCluster } from '../../support/local-cluster.js';

const SECRETS = { GATEHOUSE_TEST_TOKEN: 'tok-should-not-leak', AWS_SECRET_ACCESS_KEY: 'aws-should-not-leak', DATABASE_PASSWORD: 'db-should-not-leak' };

let cluster: TestCluster | null = null;
let dir = '';
let environment = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-task-env-'));
  const out = join(dir, 'env.txt');
  const saved = Object.fromEntries(Object.keys(SECRETS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, SECRETS);
  try {
    cluster = await startTestCluster(
      [appDefinition({ id: '/envdump', cmd: `env > "${out}.tmp" && mv "${out}.tmp" "${out}" && exec sleep 60`, env: { MODE: 'prod' }, portDefinitions: [] })],
      { workDir: join(dir, 'work') },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const text = await readFile(out, 'utf8').catch(() => null);
      if (text !== null) {
        environment = new Map(text.split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
        break;
      }
      if (Date.now() > deadline) throw new Error('the task never wrote its environment');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a task's environment", () => {
  for (const name of Object.keys(SECRETS)) {
    it(`does not carry Gatehouse's ${name}`, () => {
      expect(environment.has(name)).toBe(false);
    });
  }

  it('carries what Mesos gives a task, and its app env', () => {
    expect(environment.get('MESOS_TASK_ID')).toMatch(/^envdump\./);
    expect(environment.get('MESOS_SANDBOX')).toBeTruthy();
    expect(environment.get('MESOS_DIRECTORY')).toBe(environment.get('MESOS_SANDBOX'));
    expect(environment.get('MESOS_AGENT_ID')).toBeTruthy();
    expect(environment.get('MESOS_FRAMEWORK_ID')).toBeTruthy();
    expect(environment.get('MODE')).toBe('prod');
    expect(environment.get('PATH')).toBeTruthy();
  });

  it('carries nothing else of ours: every variable is a task variable or on the short list', () => {
    const allowed = /^(MESOS_[A-Z_]+|MODE|PATH|LANG|LC_ALL|TZ|HOME|TMPDIR|PORTS?|PORT\d+|PORT_[A-Z0-9_]+|HOST|MARATHON_[A-Z_]+|PWD|SHLVL|_)$/;
    expect([...environment.keys()].filter((k) => !allowed.test(k))).toEqual([]);
  });
});
