// DnsWorkers without forking: a start after a stop forks nothing; and with DNS workers the primary has
// no answer table, so the Mesos-DNS HTTP API of `gatehouse run` reads the main zone's records that
// DnsWorkers keeps for a replacing worker (its publisher keeps none).
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DnsWorkers } from '../../cli/dns-workers.js';
import { RecordBuilder } from '../../dns/records/record-set-builder.js';
import { TEST_ZONE } from '../support/dns-server.js';

function recordSet(names: Record<string, string[]>) {
  const builder = new RecordBuilder();
  for (const [name, ips] of Object.entries(names)) builder.addresses(name, ips);
  return builder.build(() => []);
}

const options = () => ({
  count: 2,
  server: { listen: { host: '127.0.0.1', port: 0 }, zone: TEST_ZONE, extraZones: [], resolvers: [], resolverTimeoutMs: 100, mode: 'gatehouse' as const },
  logger: pino({ level: 'silent' }),
  log: { level: 'info' as const, pretty: false },
  registry: new Registry(),
  accept: 'shared' as const,
});

describe('DnsWorkers.start()', () => {
  it('after close() (a stop during the start): rejects, and forks no worker that would outlive the stop', async () => {
    const workers = new DnsWorkers(options());
    await workers.close();
    await expect(workers.start()).rejects.toMatchObject({ code: 'ERR_DNS_WORKER', message: 'DNS workers: stopped before they started' });
    expect(workers.status().workers.map((w) => w.pid)).toEqual([]);
  });
});

describe('DnsWorkers.records()', () => {
  it('null before any records; then the main zone\'s last records, not another zone\'s', async () => {
    const workers = new DnsWorkers(options());
    expect(workers.records()).toBeNull();
    workers.setRecords(recordSet({ 'web.mesos.': ['10.0.0.1'] }), 1, 1);
    workers.setRecords(recordSet({ 'web.mesos.': ['10.0.0.2'] }), 2, 2);
    workers.setZoneRecords('thisdcos.directory', recordSet({ 'x.thisdcos.directory.': ['10.9.9.9'] }), 3, 2);
    expect(workers.records()!.get('web.mesos.')!.a).toEqual(['10.0.0.2']);
    expect([...workers.records()!.entries()].map(([name]) => name)).toEqual(['web.mesos.']);
    await workers.close();
  });
});
