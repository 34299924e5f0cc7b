// Errors of the mesh area, with stable codes.
import { GatehouseError } from '../core/index.js';

/** A VIP that cannot listen is reported per VIP (it never stops the others), so only options throw. */
export type MeshErrorCode = 'ERR_MESH_CONFIG';

export class MeshError extends GatehouseError {
  declare readonly code: MeshErrorCode;

  constructor(code: MeshErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
