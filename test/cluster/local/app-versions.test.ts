// The version history behind `/v2/apps/<id>/versions` and rollbacks: Marathon timestamps, a new one
// per content change (a scale keeps lastConfigChangeAt), kept on disk, and definitions that read back
// to the same content (what a rollback writes is what was running).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAppFile, type AppDefinition } from '../../../cluster/local/apps/app-definition.js';
import { compactJson, definitionJson } from '../../../cluster/local/apps/app-json.js';
import { AppVersions, MAX_VERSIONS } from '../../../cluster/local/apps/app-versions.js';

const logger = pino({ level: 'silent' });
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-app-versions-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const app = (text: string): AppDefinition => {
  const parsed = parseAppFile(text, 'test.yaml');
  expect(parsed.problems).toEqual([]);
  return parsed.apps[0]!;
};

describe('definitionJson reads back to the same definition', () => {
  const table = [
    { name: 'a minimal app', text: 'id: /a\ncmd: sleep 1' },
    { name: 'args, ports the old way and labels', text: 'id: /g/b\nargs: [sleep, "1"]\nports: [0, 0]\nlabels: { a: "1" }' },
    {
      name: 'named ports with labels, fixed and required',
      text: 'id: /c\ncmd: x\nrequirePorts: true\nportDefinitions: [{ port: 8080, name: web, protocol: "udp,tcp", labels: { VIP_0: "/c:80" } }]',
    },
    {
      name: 'every kind of health check',
      text: 'id: /d\ncmd: x\nportDefinitions: [{port: 0}, {port: 0}]\nhealthChecks:\n  - { protocol: MESOS_HTTP, path: /h, portIndex: 1, ignoreHttp1xx: true }\n  - { protocol: TCP, gracePeriodSeconds: 5 }\n  - { protocol: COMMAND, command: { value: "true" }, maxConsecutiveFailures: 0 }',
    },
    {
      name: 'no ports, env and backoff',
      text: 'id: /e\ncmd: x\nportDefinitions: []\nenv: { A: b }\nbackoffSeconds: 2\nbackoffFactor: 2\nmaxLaunchDelaySeconds: 9\ntaskKillGracePeriodSeconds: 1',
    },
  ];
  it.each(table)('$name', ({ text }) => {
    const original = app(text);
    expect(app(JSON.stringify(definitionJson(original))).version).toBe(original.version);
    expect(app(JSON.stringify(compactJson(definitionJson(original)))).version).toBe(original.version);
  });

  it('compactJson leaves out Marathon defaults but keeps id, command and instances', () => {
    expect(compactJson(definitionJson(app('id: /a\ncmd: sleep 1\ninstances: 1\nmem: 128')))).toEqual({ id: '/a', cmd: 'sleep 1', instances: 1 });
  });
});

describe('AppVersions', () => {
  it('makes a new Marathon timestamp per content change, keeps it while the content stays, and a scale keeps lastConfigChangeAt', async () => {
    const versions = await AppVersions.load(join(dir, 'a.json'), logger);
    const first = versions.versionOf(app('id: /a\ncmd: x'));
    expect(first.version).toMatch(TIMESTAMP);
    expect(versions.versionOf(app('id: /a\ncmd: x'))).toBe(first);
    const scaled = versions.versionOf(app('id: /a\ncmd: x\ninstances: 3'));
    expect(scaled.version > first.version).toBe(true);
    expect(scaled.lastConfigChangeAt).toBe(first.version);
    const changed = versions.versionOf(app('id: /a\ncmd: y\ninstances: 3'));
    expect(changed.lastConfigChangeAt).toBe(changed.version);
    const restarted = versions.bump('/a')!;
    expect(restarted).toMatchObject({ hash: changed.hash, lastConfigChangeAt: restarted.version });
    expect(versions.list('/a').map((v) => v.version)).toEqual([restarted, changed, scaled, first].map((v) => v.version));
    expect(versions.find('/a', new Date(scaled.version))).toBe(scaled);
    expect(versions.bump('/unknown')).toBeNull();
    // Its saves written before the file's temp dir is removed (alone, that comes right after).
    await versions.flush();
  });

  it('is kept on disk (0600) and read back by the next run; at most MAX_VERSIONS per app', async () => {
    const file = join(dir, 'b.json');
    const versions = await AppVersions.load(file, logger);
    for (let i = 0; i < MAX_VERSIONS + 5; i++) versions.versionOf(app(`id: /b\ncmd: x\ninstances: ${i}`));
    await versions.flush();
    const again = await AppVersions.load(file, logger);
    expect(again.list('/b')).toEqual(versions.list('/b'));
    expect(again.list('/b')).toHaveLength(MAX_VERSIONS);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    again.forget('/b');
    await again.flush();
    expect(JSON.parse(await readFile(file, 'utf8')).apps).toEqual({});
  });

  const unreadable = [
    { name: 'not JSON', text: '{"format": ' },
    { name: 'another format', text: '{"format": "something-else/9", "apps": {}}' },
  ];
  it.each(unreadable)('a history that is $name starts afresh, with a warning', async ({ text }) => {
    const file = join(dir, `bad-${text.length}.json`);
    await writeFile(file, text);
    const warnings: string[] = [];
    const versions = await AppVersions.load(file, pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) }));
    expect(versions.list('/a')).toEqual([]);
    expect(warnings.join('')).toMatch(/app version history/);
  });
});
