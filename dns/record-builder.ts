// Set-semantics storage while a record set is being built: `name -> values` per type, insertion
// order kept, duplicates ignored, and every record attributed to the first task that inserted it
// (that is what Mesos-DNS's /v1/enumerate shows).
import type { EnumeratedRecord, RecordSet, SrvValue, EnumeratedFramework } from './record-set.js';

export class RecordBuilder {
  readonly #a = new Map<string, Set<string>>();
  readonly #aaaa = new Map<string, Set<string>>();
  readonly #srv = new Map<string, Map<string, SrvValue>>();
  #owner: EnumeratedRecord[] | null = null;

  /** Records inserted from now on are attributed to this list (null: to nobody). */
  attributeTo(records: EnumeratedRecord[] | null): void {
    this.#owner = records;
  }

  address(name: string, ip: string): void {
    const v6 = ip.includes(':');
    const map = v6 ? this.#aaaa : this.#a;
    let values = map.get(name);
    if (!values) map.set(name, (values = new Set()));
    if (values.has(ip)) return;
    values.add(ip);
    this.#owner?.push({ name, host: ip, rtype: v6 ? 'AAAA' : 'A' });
  }

  srv(name: string, target: string, port: number): void {
    let values = this.#srv.get(name);
    if (!values) this.#srv.set(name, (values = new Map()));
    const key = `${target}:${port}`;
    if (values.has(key)) return;
    values.set(key, { target, port });
    this.#owner?.push({ name, host: key, rtype: 'SRV' });
  }

  build(enumeration: readonly EnumeratedFramework[]): RecordSet {
    const freezeValues = <T>(map: Map<string, Iterable<T>>) => new Map([...map].map(([name, values]) => [name, Object.freeze([...values])]));
    return Object.freeze({
      a: freezeValues(this.#a),
      aaaa: freezeValues(this.#aaaa),
      srv: freezeValues(new Map([...this.#srv].map(([name, values]) => [name, values.values()]))),
      enumeration,
    });
  }
}
