// Errors of the mesh area, with stable codes.
import { GatehouseError } from '../core/index.js';

/**
 * A VIP that cannot listen is reported per VIP (it never stops the others), so only options and the
 * VIP interface (mesh.interface) throw; an interface error makes Gatehouse keep to the loopback range.
 */
export type MeshErrorCode =
  | 'ERR_MESH_CONFIG'
  | 'ERR_MESH_INTERFACE_PRIVILEGES' // no CAP_NET_ADMIN
  | 'ERR_MESH_INTERFACE_TOOL' //       iproute2's `ip` cannot be run
  | 'ERR_MESH_INTERFACE_FOREIGN' //    a link of that name exists and Gatehouse did not make it
  | 'ERR_MESH_INTERFACE_BUSY' //       a running Gatehouse holds that link
  | 'ERR_MESH_INTERFACE_KIND' //       the kernel can make neither a dummy link nor a bridge
  | 'ERR_MESH_INTERFACE_ROUTE' //      a VIP address could not be made local
  | 'ERR_MESH_INTERFACE';

export class MeshError extends GatehouseError {
  declare readonly code: MeshErrorCode;

  constructor(code: MeshErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
