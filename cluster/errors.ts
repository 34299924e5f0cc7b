// Errors of the cluster area, with stable codes.
import { GatehouseError } from '../config/errors.js';

export class ClusterError extends GatehouseError {}
