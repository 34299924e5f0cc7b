// mesh.interface with the real kernel: each case works in a network namespace of its own (`ip netns add`,
// as root), reads the links and the local routing table back with the real `ip`, and removes the
// namespace after. Without the privilege to make a namespace, every case is skipped with the reason.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { MeshError, prepareVipAddresses, VIP_LINK_GROUP, VipInterface } from '../../mesh/index.js';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });

/** Why namespaces cannot be made here, or null (checked once). */
const cannotMakeNamespaces: Promise<string | null> = (async () => {
  const probe = `gh-probe-${process.pid}`;
  try {
    await run('ip', ['netns', 'add', probe]);
    await run('ip', ['netns', 'del', probe]);
    return null;
  } catch (error) {
    return `cannot create a network namespace here (needs root and iproute2): ${(error as Error).message.split('\n')[0]}`;
  }
})();

let made: string[] = [];
let counter = 0;
afterEach(async () => {
  for (const ns of made) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  made = [];
});

/** A fresh namespace for this case (skips the case when none can be made); returns `ip -n <ns>`. */
async function namespace(ctx: TestContext): Promise<string[]> {
  const reason = await cannotMakeNamespaces;
  if (reason) ctx.skip(reason);
  const ns = `gh-vi-${process.pid}-${++counter}`;
  await run('ip', ['netns', 'add', ns]);
  made.push(ns);
  return ['ip', '-n', ns];
}

async function ipJson<T>(ip: string[], args: string[]): Promise<T> {
  const { stdout } = await run(ip[0]!, [...ip.slice(1), '-j', ...args]);
  return JSON.parse(stdout || '[]') as T;
}
interface Link {
  readonly ifname: string;
  readonly ifalias?: string;
  readonly group?: string;
  readonly flags: string[];
  readonly linkinfo?: { readonly info_kind: string };
}
const links = (ip: string[]) => ipJson<Link[]>(ip, ['-d', 'link', 'show']);
const localRoutes = async (ip: string[], dev: string) =>
  (await ipJson<{ dst: string; type: string }[]>(ip, ['route', 'show', 'table', 'local', 'dev', dev])).map((r) => `${r.type} ${r.dst}`).sort();

/** A logger that keeps its warnings. */
function recordingLogger(): { logger: typeof silent; warnings: { code?: string; msg: string }[] } {
  const warnings: { code?: string; msg: string }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as { msg: string }) });
  return { logger, warnings };
}

describe('VipInterface', () => {
  it('creates the link marked as Gatehouse\'s, makes exactly the wanted addresses local, and removes it all at close', async (ctx) => {
    const ip = await namespace(ctx);
    const vipInterface = await VipInterface.open({ name: 'minuteman', logger: silent, ip });
    const link = (await links(ip)).find((l) => l.ifname === 'minuteman');
    expect(link?.ifalias).toMatch(new RegExp(`^gatehouse-mesh pid=${process.pid} start=\\S+$`));
    expect(link).toMatchObject({ group: String(VIP_LINK_GROUP) });
    expect(link?.flags).toContain('UP');
    expect(['dummy', 'bridge']).toContain(link?.linkinfo?.info_kind);
    expect(link?.linkinfo?.info_kind).toBe(vipInterface.kind);

    await vipInterface.sync(['11.0.0.1', '11.0.0.2', '127.11.0.9']);
    expect(await localRoutes(ip, 'minuteman')).toEqual(['local 11.0.0.1', 'local 11.0.0.2']);
    await vipInterface.sync(['11.0.0.2', '11.0.0.3']);
    expect(await localRoutes(ip, 'minuteman')).toEqual(['local 11.0.0.2', 'local 11.0.0.3']);
    expect([...vipInterface.addresses].sort()).toEqual(['11.0.0.2', '11.0.0.3']);

    await vipInterface.close();
    expect((await links(ip)).map((l) => l.ifname)).toEqual(['lo']);
    expect(await ipJson(ip, ['route', 'show', 'table', 'local', 'dev', 'lo'])).toEqual([]);
    await vipInterface.close(); // twice is fine
  });

  it('an address that is local already is used as is, and left alone at close', async (ctx) => {
    const ip = await namespace(ctx);
    await run(ip[0]!, [...ip.slice(1), 'addr', 'add', '11.9.9.9/32', 'dev', 'lo']);
    const vipInterface = await VipInterface.open({ name: 'minuteman', logger: silent, ip });
    await vipInterface.sync(['11.9.9.9', '11.0.0.1']);
    expect([...vipInterface.addresses]).toEqual(['11.0.0.1']);
    await vipInterface.close();
    expect(await localRoutes(ip, 'lo')).toEqual(['local 11.9.9.9']);
  });

  const leftovers = [
    {
      name: 'by its mark (a PID that is not running with that start time)',
      setup: [['link', 'set', 'dev', 'minuteman', 'alias', 'gatehouse-mesh pid=999999 start=1']],
      warning: 'removed interface minuteman left by Gatehouse PID 999999, which did not stop cleanly',
    },
    {
      name: 'by its group alone (killed between making the link and marking it)',
      setup: [['link', 'set', 'dev', 'minuteman', 'group', String(VIP_LINK_GROUP)]],
      warning: 'removed interface minuteman left by a Gatehouse, which did not stop cleanly',
    },
  ];
  for (const leftover of leftovers)
    it(`a link left by a killed Gatehouse is recognised ${leftover.name} and replaced, its routes gone`, async (ctx) => {
      const ip = await namespace(ctx);
      const sh = (args: string[]) => run(ip[0]!, [...ip.slice(1), ...args]);
      await sh(['link', 'add', 'minuteman', 'up', 'type', 'bridge']);
      for (const args of leftover.setup) await sh(args);
      await sh(['route', 'add', 'local', '11.5.5.5/32', 'dev', 'minuteman', 'table', 'local']);
      const { logger, warnings } = recordingLogger();
      const vipInterface = await VipInterface.open({ name: 'minuteman', logger, ip });
      expect(warnings.map((w) => w.msg)).toEqual([leftover.warning]);
      expect(await localRoutes(ip, 'minuteman')).toEqual([]);
      expect((await links(ip)).find((l) => l.ifname === 'minuteman')?.ifalias).toMatch(`pid=${process.pid} `);
      await vipInterface.close();
    });

  const refusals: { name: string; setup: string[][]; ip?: (ip: string[]) => string[]; code: string; message: RegExp }[] = [
    {
      name: 'a link of that name Gatehouse did not make',
      setup: [['link', 'add', 'minuteman', 'type', 'bridge']],
      code: 'ERR_MESH_INTERFACE_FOREIGN',
      message: /^interface minuteman exists and Gatehouse did not make it \(bridge link, alias ""\): it is left alone/,
    },
    {
      name: 'a link held by a running Gatehouse',
      setup: [
        ['link', 'add', 'minuteman', 'type', 'bridge'],
        ['link', 'set', 'dev', 'minuteman', 'alias', `gatehouse-mesh pid=${process.pid} start=x`],
      ],
      code: 'ERR_MESH_INTERFACE_BUSY',
      message: new RegExp(`^interface minuteman belongs to a running Gatehouse \\(PID ${process.pid}\\)`),
    },
    {
      name: 'no CAP_NET_ADMIN',
      setup: [],
      ip: (ip) => ['setpriv', '--bounding-set', '-net_admin', ...ip],
      code: 'ERR_MESH_INTERFACE_PRIVILEGES',
      message: /Operation not permitted \(managing interfaces needs CAP_NET_ADMIN: run as root or grant it\)$/,
    },
    {
      name: 'no iproute2',
      setup: [],
      ip: () => ['/nonexistent/ip'],
      code: 'ERR_MESH_INTERFACE_TOOL',
      message: /cannot be run \(ENOENT\): install iproute2$/,
    },
  ];
  for (const refusal of refusals)
    it(`refuses ${refusal.name} (${refusal.code}), and leaves what was there`, async (ctx) => {
      const ip = await namespace(ctx);
      for (const args of refusal.setup) await run(ip[0]!, [...ip.slice(1), ...args]);
      const before = await links(ip);
      const error = await VipInterface.open({ name: 'minuteman', logger: silent, ip: refusal.ip?.(ip) ?? ip }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MeshError);
      expect(error).toMatchObject({ code: refusal.code, message: expect.stringMatching(refusal.message) });
      expect(await links(ip)).toEqual(before);
    });
});

describe('prepareVipAddresses', () => {
  it('with the interface: the configured range, and the link', async (ctx) => {
    const ip = await namespace(ctx);
    const { logger, warnings } = recordingLogger();
    const prepared = await prepareVipAddresses({ vipRange: '11.0.0.0/8', interface: 'minuteman' }, logger, { ip });
    expect(prepared.vipRange).toBe('11.0.0.0/8');
    expect(prepared.vipInterface?.name).toBe('minuteman');
    expect(warnings).toEqual([]);
    await prepared.vipInterface?.close();
  });

  it('without privileges: says so once, with the code, and keeps to the loopback range', async (ctx) => {
    const ip = await namespace(ctx);
    const { logger, warnings } = recordingLogger();
    const prepared = await prepareVipAddresses({ vipRange: '11.0.0.0/8', interface: 'minuteman' }, logger, {
      ip: ['setpriv', '--bounding-set', '-net_admin', ...ip],
    });
    expect(prepared).toEqual({ vipRange: '127.11.0.0/16', vipInterface: null });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'ERR_MESH_INTERFACE_PRIVILEGES', interface: 'minuteman' });
    expect(warnings[0]!.msg).toMatch(/; the VIPs keep to the loopback range 127\.11\.0\.0\/16 instead of 11\.0\.0\.0\/8$/);
  });
});
