// Counters bumped on the hot path as plain integers; prom-client reads them only when scraped. With
// DNS worker processes, each worker sends its counters to the primary (DnsCounters, once a second),
// whose registry shows them per worker (label `worker`) through registerDnsMetrics.
import { Counter, Gauge, type Registry } from 'prom-client';

/** One server's counters as plain data (they cross from a DNS worker to the primary over IPC). */
export interface DnsCounters {
  readonly zone: number;
  readonly names: number;
  readonly answerBytes: number;
  readonly forwarded: number;
  readonly forwardFailed: number;
  readonly malformed: number;
  readonly dropped: number;
  readonly truncated: number;
  /** Responses sent over each transport. */
  readonly udp: number;
  readonly tcp: number;
  readonly byRcode: ArrayLike<number>;
}

/** Whose counters: the in-process server (no worker label) or each DNS worker. */
export type DnsCounterSource = () => readonly { readonly worker?: string; readonly counters: DnsCounters }[];

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

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
  udp = 0;
  tcp = 0;
  /** Responses by rcode (index); a typed array, so counting is one store with no hashing. */
  readonly byRcode = new Float64Array(16);

  register(registry: Registry | undefined): void {
    if (registry) registerDnsMetrics(registry, () => [{ counters: this }]);
  }

  snapshot(): DnsCounters {
    const { zone, names, answerBytes, forwarded, forwardFailed, malformed, dropped, truncated, udp, tcp } = this;
    return { zone, names, answerBytes, forwarded, forwardFailed, malformed, dropped, truncated, udp, tcp, byRcode: Array.from(this.byRcode) };
  }

  count(reply: Buffer, transport: 'udp' | 'tcp'): void {
    this.byRcode[reply[3]! & 0x0f]!++;
    this[transport]++;
    if (reply[2]! & 0x02) this.truncated++;
  }
}

/** The DNS metrics of every source, each source's labelled with its worker when it has one. */
export function registerDnsMetrics(registry: Registry, sources: DnsCounterSource): void {
  const labelled = (worker: string | undefined, labels: Record<string, string> = {}) => (worker === undefined ? labels : { ...labels, worker });
  new Counter({
    name: 'gatehouse_dns_responses_total',
    help: 'DNS responses sent, by response code (and DNS worker, with dns.workers > 1)',
    labelNames: ['rcode', 'worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { worker, counters } of sources()) {
        for (let rcode = 0; rcode < counters.byRcode.length; rcode++) {
          const n = counters.byRcode[rcode]!;
          if (n > 0) this.inc(labelled(worker, { rcode: RCODES[rcode] ?? String(rcode) }), n);
        }
      }
    },
  });
  const counters: [string, string, (c: DnsCounters) => number][] = [
    ['gatehouse_dns_zone_queries_total', 'Queries answered from the zone', (c) => c.zone],
    ['gatehouse_dns_forwarded_total', 'Queries forwarded to upstream resolvers', (c) => c.forwarded],
    ['gatehouse_dns_forward_failures_total', 'Forwarded queries no upstream answered (SERVFAIL)', (c) => c.forwardFailed],
    ['gatehouse_dns_malformed_total', 'Malformed queries (FORMERR or dropped)', (c) => c.malformed + c.dropped],
    ['gatehouse_dns_truncated_total', 'UDP answers truncated to fit', (c) => c.truncated],
  ];
  for (const [name, help, read] of counters) {
    new Counter({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { worker, counters: c } of sources()) this.inc(labelled(worker), read(c));
      },
    });
  }
  new Counter({
    name: 'gatehouse_dns_transport_responses_total',
    help: 'DNS responses sent, by transport (and DNS worker, with dns.workers > 1)',
    labelNames: ['transport', 'worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { worker, counters: c } of sources()) {
        this.inc(labelled(worker, { transport: 'udp' }), c.udp);
        this.inc(labelled(worker, { transport: 'tcp' }), c.tcp);
      }
    },
  });
  const gauges: [string, string, (c: DnsCounters) => number][] = [
    ['gatehouse_dns_names', 'Names in the DNS answer table being served', (c) => c.names],
    ['gatehouse_dns_answer_bytes', 'Bytes of pre-encoded DNS answers being served', (c) => c.answerBytes],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { worker, counters: c } of sources()) this.set(labelled(worker), read(c));
      },
    });
  }
}
