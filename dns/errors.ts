// Errors of the DNS area, with stable codes.
import { GatehouseError } from '../config/errors.js';

export class DnsError extends GatehouseError {}
