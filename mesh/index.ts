// The mesh area (the layer-4 load balancer behind VIPs): what other areas may import.
export { Mesh, type MeshOptions, type VipStatus } from './mesh.js';
export type { BalanceMode } from './backends.js';
export { MeshError, type MeshErrorCode } from './errors.js';
export { VipInterface, VIP_LINK_GROUP, type VipInterfaceOptions } from './vip-interface.js';
export { prepareVipAddresses, type VipAddresses } from './vip-addresses.js';
