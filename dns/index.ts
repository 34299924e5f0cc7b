// The DNS area: what other areas may import.
export type { RecordSet, ZoneOptions, SrvValue } from './record-set.js';
export { buildRecordSet, type RecordOptions } from './records.js';
export { sanitizeLabel, domainFrag, hashTaskId, agentTail, type LabelMode } from './labels.js';
export { DnsServer, type DnsServerOptions } from './server.js';
export { DnsError } from './errors.js';
export { RecordPublisher } from './record-publisher.js';
export { parseMesosDnsConfig, parseUpstreams, mesosDnsConfigJson, type MesosDnsConfig } from './mesos-dns-config.js';
export { createMesosDnsHttpHandler } from './http-api.js';
