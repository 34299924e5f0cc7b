// mesh.interface: a link of Gatehouse's own (dcos-net called it `minuteman`) on which each VIP address
// outside 127.0.0.0/8 is made local, so the VIP listeners can bind it. As dcos-net did, each address gets
// one /32 route of type local in the kernel's local table through that link (no address on the link, no
// route for the whole range: only the VIPs in use are local, other addresses of the range keep routing).
//
// The link is created in interface group 6318 (the one mark the kernel takes in the creating request),
// then gets its alias `gatehouse-mesh pid=<pid> start=<start time>` (the kernel ignores an alias given at
// creation), so a link Gatehouse made can always be told from one it did not. Closing deletes
// the link, and with it every route through it. A link left by a Gatehouse that was killed is recognised
// by its mark at the next start and removed before a fresh one is made; a link without the mark is never
// touched, nor one whose marked Gatehouse still runs.
import type { Logger } from 'pino';
import { startTimeOf } from '../core/index.js';
import { MeshError, type MeshErrorCode } from './errors.js';
import { IpCommandError, runIp, type IpFailure } from './iproute.js';

const MARK = 'gatehouse-mesh';
/** The interface group of the links Gatehouse makes (`ip link show group 6318` lists them). */
export const VIP_LINK_GROUP = 6318;

export interface VipInterfaceOptions {
  /** The link's name (mesh.interface), e.g. `minuteman`. */
  readonly name: string;
  readonly logger: Logger;
  /** How to run iproute2's `ip` (default `['ip']`; tests add `-n <netns>`). */
  readonly ip?: readonly string[];
}

interface LinkInfo {
  readonly ifalias?: string;
  readonly group?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

export class VipInterface {
  readonly name: string;
  /** `dummy`, or `bridge` (a bridge without ports) on a kernel built without dummy links. */
  readonly kind: 'dummy' | 'bridge';
  readonly #ip: readonly string[];
  readonly #logger: Logger;
  /** Addresses made local through the link by this Gatehouse. */
  readonly #local = new Set<string>();
  /** Addresses already warned about (each failure is logged once, not on every snapshot). */
  readonly #warned = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(name: string, kind: 'dummy' | 'bridge', ip: readonly string[], logger: Logger) {
    this.name = name;
    this.kind = kind;
    this.#ip = ip;
    this.#logger = logger;
  }

  /** Creates the link (removing one a killed Gatehouse left); throws a MeshError saying why it cannot. */
  static async open(options: VipInterfaceOptions): Promise<VipInterface> {
    const { name, logger } = options;
    const ip = options.ip ?? ['ip'];
    const existing = await linkInfo(ip, name);
    if (existing) await removeLeftover(ip, name, existing, logger);
    const mark = `${MARK} pid=${process.pid} start=${await startTimeOf(process.pid)}`;
    let kind: 'dummy' | 'bridge' = 'dummy';
    const add = (type: string) => call(ip, ['link', 'add', name, 'group', String(VIP_LINK_GROUP), 'up', 'type', type], name);
    try {
      await add('dummy');
    } catch (error) {
      if (!(error instanceof MeshError && error.code === 'ERR_MESH_INTERFACE_KIND')) throw error;
      // A bridge without ports holds local routes exactly as a dummy link does, and every kernel has bridges.
      kind = 'bridge';
      await add('bridge');
      logger.info({ interface: name }, `this kernel has no dummy links (CONFIG_DUMMY): interface ${name} is a bridge without ports`);
    }
    try {
      await call(ip, ['link', 'set', 'dev', name, 'alias', mark], name);
    } catch (error) {
      await runIp(ip, ['link', 'del', 'dev', name]).catch(() => undefined);
      throw error;
    }
    logger.info({ interface: name, kind }, `created interface ${name} for the VIP addresses`);
    return new VipInterface(name, kind, ip, logger);
  }

  /** The addresses made local through the link (tests and status). */
  get addresses(): ReadonlySet<string> {
    return this.#local;
  }

  /**
   * Makes exactly `wanted` (IPv4 addresses; those in 127.0.0.0/8 are local already and skipped) local
   * through the link: routes are added for new addresses and removed for those no longer wanted. A
   * failure is logged once per address and never stops the others; that VIP then cannot listen.
   */
  sync(wanted: Iterable<string>): Promise<void> {
    const target = new Set([...wanted].filter((address) => !address.startsWith('127.')));
    const run = this.#queue.then(() => this.#sync(target));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Deletes the link, and with it every route through it. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    try {
      await runIp(this.#ip, ['link', 'del', 'dev', this.name]);
      this.#logger.info({ interface: this.name, addresses: this.#local.size }, `removed interface ${this.name} and its VIP addresses`);
    } catch (error) {
      if (!(error instanceof IpCommandError && error.failure === 'no-device')) throw toMeshError(error, this.name);
    } finally {
      this.#local.clear();
    }
  }

  async #sync(target: ReadonlySet<string>): Promise<void> {
    if (this.#closed) return;
    for (const address of target) {
      if (this.#local.has(address)) continue;
      try {
        await runIp(this.#ip, ['route', 'add', 'local', `${address}/32`, 'dev', this.name, 'table', 'local', 'proto', 'boot', 'scope', 'host']);
        this.#local.add(address);
        this.#warned.delete(address);
      } catch (error) {
        // A local route there already (an address of this machine): bindable as is, and not ours to remove.
        if (error instanceof IpCommandError && error.failure === 'exists') continue;
        this.#warnOnce(address, error);
      }
    }
    for (const address of [...this.#local]) {
      if (target.has(address)) continue;
      try {
        await runIp(this.#ip, ['route', 'del', 'local', `${address}/32`, 'dev', this.name, 'table', 'local']);
      } catch (error) {
        if (!(error instanceof IpCommandError && error.failure === 'no-route')) {
          this.#warnOnce(address, error);
          continue;
        }
      }
      this.#local.delete(address);
    }
  }

  #warnOnce(address: string, error: unknown): void {
    if (this.#warned.has(address)) return;
    this.#warned.add(address);
    const reason = toMeshError(error, this.name, 'ERR_MESH_INTERFACE_ROUTE');
    this.#logger.warn({ code: reason.code, interface: this.name, address }, `cannot make VIP address ${address} local on ${this.name}: ${reason.message}`);
  }
}

/** The link's details, or null when there is no link of that name. */
async function linkInfo(ip: readonly string[], name: string): Promise<LinkInfo | null> {
  try {
    const links = JSON.parse(await runIp(ip, ['-j', '-d', 'link', 'show', 'dev', name])) as LinkInfo[];
    return links[0] ?? null;
  } catch (error) {
    if (error instanceof IpCommandError && error.failure === 'no-device') return null;
    throw toMeshError(error, name);
  }
}

async function removeLeftover(ip: readonly string[], name: string, link: LinkInfo, logger: Logger): Promise<void> {
  const mark = new RegExp(`^${MARK} pid=(\\d+) start=(\\S*)$`).exec(link.ifalias ?? '');
  // In the group but not yet marked: a Gatehouse was killed between the two requests that make a link.
  const unmarked = !mark && link.group === String(VIP_LINK_GROUP) && !link.ifalias;
  if (!mark && !unmarked)
    throw new MeshError(
      'ERR_MESH_INTERFACE_FOREIGN',
      `interface ${name} exists and Gatehouse did not make it (${link.linkinfo?.info_kind ?? 'unknown'} link, alias ` +
        `${JSON.stringify(link.ifalias ?? '')}): it is left alone; choose another mesh.interface or remove it`,
    );
  const pid = mark ? Number(mark[1]) : null;
  const startTime = mark?.[2] ?? '';
  if (pid !== null && (pid === process.pid || (startTime !== '' && startTime === (await startTimeOf(pid)))))
    throw new MeshError('ERR_MESH_INTERFACE_BUSY', `interface ${name} belongs to a running Gatehouse (PID ${pid}); give this one another mesh.interface`);
  await call(ip, ['link', 'del', 'dev', name], name);
  const who = pid === null ? 'a Gatehouse' : `Gatehouse PID ${pid}`;
  logger.warn({ interface: name, previousPid: pid }, `removed interface ${name} left by ${who}, which did not stop cleanly`);
}

async function call(ip: readonly string[], args: readonly string[], name: string): Promise<string> {
  try {
    return await runIp(ip, args);
  } catch (error) {
    throw toMeshError(error, name);
  }
}

const CODES: Partial<Record<IpFailure, MeshErrorCode>> = {
  'not-permitted': 'ERR_MESH_INTERFACE_PRIVILEGES',
  'no-tool': 'ERR_MESH_INTERFACE_TOOL',
  'unknown-kind': 'ERR_MESH_INTERFACE_KIND',
};

function toMeshError(error: unknown, name: string, fallback: MeshErrorCode = 'ERR_MESH_INTERFACE'): MeshError {
  if (error instanceof MeshError) return error;
  if (!(error instanceof IpCommandError)) return new MeshError(fallback, `interface ${name}: ${String(error)}`, { cause: error });
  const code = CODES[error.failure] ?? fallback;
  const hint = code === 'ERR_MESH_INTERFACE_PRIVILEGES' ? ' (managing interfaces needs CAP_NET_ADMIN: run as root or grant it)' : '';
  return new MeshError(code, `interface ${name}: ${error.message}${hint}`, { cause: error });
}
