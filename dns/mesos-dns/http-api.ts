// The Mesos-DNS HTTP API (Mesos-DNS's HTTP interface docs), answered from the records DNS serves (a
// record set, or the answer table reading them back from its answers):
// /v1/version, /v1/config, /v1/hosts/{host}, /v1/hosts/{host}/ports, /v1/services/{service},
// /v1/enumerate, /v1/axfr. Its quirks are kept: 200 with one empty object when nothing is found.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordLookup, ServedRecords } from '../records/record-set.js';

export interface MesosDnsHttpOptions {
  readonly records: () => ServedRecords | null;
  readonly config: () => object;
  readonly serial: () => number;
  readonly zone: { readonly domain: string; readonly ttl: number; readonly refreshSeconds: number; readonly mname: string; readonly rname: string };
  readonly version: string;
  readonly enumerationOn: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** `.*` removed, lower-cased, trailing dot added: how Mesos-DNS cleans a name from a URL. */
function cleanName(raw: string): string {
  const name = raw.split('.*').join('').toLowerCase();
  return name.endsWith('.') ? name : `${name}.`;
}

function send(res: ServerResponse, status: number, body: unknown, head: boolean, extra: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...extra });
  res.end(head ? undefined : text);
}

/** Path segments after `/v1/`, each percent-decoded on its own (so `%2F` stays inside one name); null if undecodable. */
function segmentsOf(url: string | undefined): string[] | null {
  const path = (url ?? '/').split('?')[0]!;
  if (!path.startsWith('/v1/')) return [];
  try {
    return path.slice(4).split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
}

export function createMesosDnsHttpHandler(options: MesosDnsHttpOptions): Handler {
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, { error: `method ${req.method ?? ''} not allowed; use GET` }, false, { allow: 'GET, HEAD' });
    const segments = segmentsOf(req.url);
    if (segments === null) return send(res, 400, { error: 'the path is not valid percent-encoding' }, head);
    const [endpoint, name, rest, ...more] = segments;
    const arity = segments.length;

    if (endpoint === 'version' && arity === 1) {
      return send(res, 200, { Service: 'Mesos-DNS', URL: 'https://github.com/mesosphere/mesos-dns', Version: options.version }, head);
    }
    if (endpoint === 'config' && arity === 1) return send(res, 200, options.config(), head);
    const hosts = endpoint === 'hosts' && !!name;
    if (hosts && rest === 'ports' && more.length === 0) return send(res, 501, 'To be implemented...', head);
    const routed =
      (hosts && arity === 2) ||
      (endpoint === 'services' && !!name && arity === 2) ||
      (options.enumerationOn && (endpoint === 'enumerate' || endpoint === 'axfr') && arity === 1);
    if (!routed) return send(res, 404, { error: `no such endpoint: ${(req.url ?? '').split('?')[0]}` }, head);

    const records = options.records();
    // Mesos-DNS does not listen at all before its first state load; we listen and say why we cannot answer.
    if (!records) return send(res, 503, { error: 'no cluster state yet' }, head);
    if (endpoint === 'hosts') return send(res, 200, hostsOf(records.names, name!), head);
    if (endpoint === 'services') return send(res, 200, servicesOf(records.names, name!), head);
    if (endpoint === 'enumerate') return send(res, 200, { frameworks: records.enumerate().map((f) => ({ tasks: f.tasks, name: f.name })) }, head);
    return send(res, 200, axfrOf(records.names, options), head);
  };

  return (req, res) => {
    try {
      answer(req, res);
    } catch (error) {
      // A failing view (e.g. a config callback) answers 500; it never takes the listener down.
      if (!res.headersSent) send(res, 500, { error: `internal error: ${(error as Error)?.message ?? String(error)}` }, false);
      else res.destroy();
    }
  };
}

function hostsOf(names: RecordLookup, raw: string): { host: string; ip: string }[] {
  const name = cleanName(raw);
  const own = names.get(name);
  const found = [...(own?.a ?? []), ...(own?.aaaa ?? [])].map((ip) => ({ host: name, ip }));
  return found.length ? found : [{ host: '', ip: '' }];
}

/** Per SRV: one entry with the target's first A and one with its first AAAA; targets without address are left out. */
function servicesOf(names: RecordLookup, service: string): { service: string; host: string; ip: string; port: string }[] {
  const found: { service: string; host: string; ip: string; port: string }[] = [];
  for (const srv of names.get(cleanName(service))?.srv ?? []) {
    const target = names.get(srv.target);
    const a = target?.a[0];
    const aaaa = target?.aaaa[0];
    if (a) found.push({ service, host: srv.target, ip: a, port: String(srv.port) });
    if (aaaa) found.push({ service, host: srv.target, ip: aaaa, port: String(srv.port) });
  }
  return found.length ? found : [{ service: '', host: '', ip: '', port: '' }];
}

/** Per type, every name that has records of it, in the record set's order. */
function axfrOf(names: RecordLookup, options: MesosDnsHttpOptions): object {
  // Entries, then Object.fromEntries: a name is defined as an own key even when it is `__proto__`.
  const as: [string, readonly string[]][] = [];
  const aaaas: [string, readonly string[]][] = [];
  const srvs: [string, string[]][] = [];
  for (const [name, records] of names.entries()) {
    if (records.a.length) as.push([name, records.a]);
    if (records.aaaa.length) aaaas.push([name, records.aaaa]);
    if (records.srv.length) srvs.push([name, records.srv.map((v) => `${v.target}:${v.port}`)]);
  }
  return {
    TTL: options.zone.ttl,
    Serial: options.serial(),
    RefreshSeconds: options.zone.refreshSeconds,
    Mname: options.zone.mname,
    Rname: options.zone.rname,
    Domain: options.zone.domain,
    Records: { As: Object.fromEntries(as), AAAAs: Object.fromEntries(aaaas), SRVs: Object.fromEntries(srvs) },
  };
}
