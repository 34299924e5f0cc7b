// Counters bumped on the hot path as plain integers; prom-client reads them only when scraped.
import { Counter, type Registry } from 'prom-client';

export class QueryCounters {
  zone = 0;
  forwarded = 0;
  forwardFailed = 0;
  refused = 0;
  servfail = 0;
  malformed = 0;
  dropped = 0;
  truncated = 0;
  readonly byRcode = new Map<number, number>();

  register(registry: Registry | undefined): void {
    if (!registry) return;
    const counters = this;
    const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
    new Counter({
      name: 'gatehouse_dns_responses_total',
      help: 'DNS responses sent, by response code',
      labelNames: ['rcode'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [rcode, n] of counters.byRcode) this.inc({ rcode: RCODES[rcode] ?? String(rcode) }, n);
      },
    });
    const simple: [string, string, () => number][] = [
      ['gatehouse_dns_zone_queries_total', 'Queries answered from the zone', () => counters.zone],
      ['gatehouse_dns_forwarded_total', 'Queries forwarded to upstream resolvers', () => counters.forwarded],
      ['gatehouse_dns_forward_failures_total', 'Forwarded queries no upstream answered (SERVFAIL)', () => counters.forwardFailed],
      ['gatehouse_dns_malformed_total', 'Malformed queries (FORMERR or dropped)', () => counters.malformed + counters.dropped],
      ['gatehouse_dns_truncated_total', 'UDP answers truncated to fit', () => counters.truncated],
    ];
    for (const [name, help, read] of simple) {
      new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
    }
  }

  count(reply: Buffer): void {
    const rcode = reply[3]! & 0x0f;
    this.byRcode.set(rcode, (this.byRcode.get(rcode) ?? 0) + 1);
    if (reply[2]! & 0x02) this.truncated++;
  }
}
