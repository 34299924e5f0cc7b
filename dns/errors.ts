// Errors of the DNS area, with stable codes.
import { GatehouseError } from '../core/index.js';

export class DnsError extends GatehouseError {}
