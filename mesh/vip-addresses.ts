// Where the VIP addresses live: the loopback range as is, or a range made local on mesh.interface. When
// that interface cannot be set up (no CAP_NET_ADMIN, no iproute2, a foreign link of that name), the
// mesh keeps working on the loopback range, and says so once.
import type { Logger } from 'pino';
import { LOOPBACK_VIP_RANGE, type MeshConfig } from '../config/index.js';
import { MeshError } from './errors.js';
import { VipInterface } from './vip-interface.js';

export interface VipAddresses {
  /** The range named VIPs get their addresses from (mesh.vipRange, or the loopback range on fallback). */
  readonly vipRange: string;
  /** The link the addresses are made local on, or null. Close it at stop. */
  readonly vipInterface: VipInterface | null;
}

export async function prepareVipAddresses(
  config: Pick<MeshConfig, 'vipRange' | 'interface'>,
  logger: Logger,
  options: { ip?: readonly string[] } = {},
): Promise<VipAddresses> {
  if (config.interface === null) {
    if (!config.vipRange.startsWith('127.'))
      logger.warn(
        { vipRange: config.vipRange },
        'mesh.vipRange is outside 127.0.0.0/8: its addresses must be local to this machine (set mesh.interface, ' +
          'or as root: ip route add local <range> dev lo), or the VIPs cannot listen',
      );
    return { vipRange: config.vipRange, vipInterface: null };
  }
  try {
    const vipInterface = await VipInterface.open({ name: config.interface, logger, ...(options.ip ? { ip: options.ip } : {}) });
    return { vipRange: config.vipRange, vipInterface };
  } catch (error) {
    if (!(error instanceof MeshError)) throw error;
    logger.warn(
      { code: error.code, interface: config.interface, vipRange: LOOPBACK_VIP_RANGE },
      `${error.message}; the VIPs keep to the loopback range ${LOOPBACK_VIP_RANGE} instead of ${config.vipRange}`,
    );
    return { vipRange: LOOPBACK_VIP_RANGE, vipInterface: null };
  }
}
