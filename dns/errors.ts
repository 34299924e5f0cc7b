// Errors of the DNS area, with stable codes. A bad Mesos-DNS config.json is a ConfigError
// (MesosDnsConfigError, codes ERR_DNS_CONFIG_INVALID and ERR_DNS_CONFIG_ZK_UNSUPPORTED).
import { GatehouseError } from '../core/index.js';

export type DnsErrorCode =
  | 'ERR_DNS_LISTEN'
  | 'ERR_DNS_NOT_STARTED'
  | 'ERR_DNS_RECORDS'
  | 'ERR_DNS_CONFIG'
  | 'ERR_DNS_WORKER';

export class DnsError extends GatehouseError {
  declare readonly code: DnsErrorCode;

  constructor(code: DnsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
