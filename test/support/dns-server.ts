// A DnsServer on an ephemeral port with a record set, for tests of the wire behaviour.
import { pino } from 'pino';
import { DnsServer, type DnsServerOptions } from '../../dns/index.js';
import type { RecordSet, ZoneOptions } from '../../dns/index.js';

export const TEST_ZONE: ZoneOptions = {
  domain: 'mesos',
  ttl: 60,
  soaMname: 'ns1.mesos.',
  soaRname: 'root.ns1.mesos.',
  soaRefresh: 60,
  soaRetry: 600,
  soaExpire: 86400,
  srvWeight: 1,
  recurse: false,
  setTruncateBit: true,
};

export async function startDnsServer(records: RecordSet | null, options: Partial<DnsServerOptions> = {}): Promise<{ server: DnsServer; port: number }> {
  const server = new DnsServer({
    listen: { host: '127.0.0.1', port: 0 },
    zone: TEST_ZONE,
    resolvers: [],
    resolverTimeoutMs: 500,
    mode: 'gatehouse',
    logger: pino({ level: 'silent' }),
    ...options,
  });
  await server.start();
  if (records) {
    server.setRecords(records, 42);
    server.setUnavailable(null);
  }
  return { server, port: server.address().udpPort };
}
