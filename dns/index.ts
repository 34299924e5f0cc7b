// The DNS area: what other areas may import.
export type { RecordSet, ZoneOptions, SrvValue } from './records/record-set.js';
export { buildRecordSet, type RecordOptions } from './records/from-snapshot.js';
export { sanitizeLabel, domainFrag, hashTaskId, agentTail, type LabelMode } from './records/labels.js';
export { DnsServer, type DnsServerOptions } from './server/dns-server.js';
export { freePortPair } from './server/port-pair.js';
export { DnsError, type DnsErrorCode } from './errors.js';
export { RecordPublisher } from './records/publisher.js';
export { MesosDnsConfigError, parseMesosDnsConfig, parseUpstreams, mesosDnsConfigJson, type MesosDnsConfig } from './mesos-dns/config.js';
export { createMesosDnsHttpHandler } from './mesos-dns/http-api.js';
export { buildThisDcosRecordSet, THISDCOS_DOMAIN, type ThisDcosOptions } from './records/thisdcos.js';
export type { AnswerRecords, RecordLookup, ServedRecords } from './records/record-set.js';
export type { RecordSink } from './records/publisher.js';
export { registerDnsMetrics, type DnsCounters, type DnsCounterSource } from './server/metrics.js';
