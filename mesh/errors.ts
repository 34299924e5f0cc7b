// Errors of the mesh area, with stable codes.
import { GatehouseError } from '../core/index.js';

export type MeshErrorCode = 'ERR_MESH_CONFIG' | 'ERR_MESH_LISTEN';

export class MeshError extends GatehouseError {
  declare readonly code: MeshErrorCode;

  constructor(code: MeshErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
