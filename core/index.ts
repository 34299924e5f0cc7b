// The core area: what every other area shares and nothing else. It imports nothing of ours.
export { deepFreeze } from './deep-freeze.js';
export { CoalescedPass } from './coalesced-pass.js';
export { parsePortRanges, normalizeRanges, type PortRange } from './port-ranges.js';
export { GatehouseError } from './errors.js';
export { Lifecycle, type LifecycleLogger, type StopFailure } from './lifecycle.js';
export { DirectoryWatch, type DirectoryWatchOptions } from './directory-watch.js';
export { startTimeOf } from './process-start.js';
export { PACKAGE_ROOT, PACKAGE_VERSION, assetFile, builtFile, requirePackage, type LazyPackage } from './package-files.js';
export { mapStackTrace, stackOf } from './stack-traces.js';
