// Errors of the cluster area, with stable codes.
import { GatehouseError } from '../core/index.js';

export class ClusterError extends GatehouseError {}
