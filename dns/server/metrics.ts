// Counters bumped on the hot path as plain integers; prom-client reads them only when scraped.
import { Counter, Gauge, type Registry } from 'prom-client';

export class DnsMetrics {
  zone = 0;
  /** Names in the answer table being served, and the bytes of its pre-encoded answers. */
  names = 0;
  answerBytes = 0;
  forwarded = 0;
  forwardFailed = 0;
  refused = 0;
  servfail = 0;
  malformed = 0;
  dropped = 0;
  truncated = 0;
  /** Responses by rcode (index); a typed array, so counting is one store with no hashing. */
  readonly byRcode = new Float64Array(16);

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
        counters.byRcode.forEach((n, rcode) => {
          if (n > 0) this.inc({ rcode: RCODES[rcode] ?? String(rcode) }, n);
        });
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
    new Gauge({
      name: 'gatehouse_dns_names',
      help: 'Names in the DNS answer table being served',
      registers: [registry],
      collect() {
        this.set(counters.names);
      },
    });
    new Gauge({
      name: 'gatehouse_dns_answer_bytes',
      help: 'Bytes of pre-encoded DNS answers being served',
      registers: [registry],
      collect() {
        this.set(counters.answerBytes);
      },
    });
  }

  count(reply: Buffer): void {
    this.byRcode[reply[3]! & 0x0f]!++;
    if (reply[2]! & 0x02) this.truncated++;
  }
}
