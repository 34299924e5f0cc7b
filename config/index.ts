// The config area: what other areas may import.
export { ConfigError, formatProblem, type ConfigProblem } from './errors.js';
export { loadConfig, parseConfig, LOOPBACK_VIP_RANGE } from './gatehouse-config.js';
export { parseDuration } from './duration.js';
export { parseSize } from './size.js';
export { parseListenAddress } from './listen-address.js';
export { parseYamlFile, yamlLibrary, formatKeyPath, type YamlFile, type KeyPath } from './yaml-document.js';
export { compileSchema, checkSchema, type Schema } from './schema-check.js';
export type * from './types.js';
export { machineCapacity, type Capacity } from './cgroup-limits.js';
