// The Mesos-DNS HTTP API (reference mesos-dns.md §4), answered from the current record set:
// /v1/version, /v1/config, /v1/hosts/{host}, /v1/hosts/{host}/ports, /v1/services/{service},
// /v1/enumerate, /v1/axfr. Its quirks are kept: 200 with one empty object when nothing is found.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordSet } from './record-set.js';

export interface MesosDnsHttpOptions {
  readonly records: () => RecordSet | null;
  readonly config: () => object;
  readonly serial: () => number;
  readonly zone: { readonly domain: string; readonly ttl: number; readonly refreshSeconds: number; readonly mname: string; readonly rname: string };
  readonly version: string;
  readonly enumerationOn: boolean;
}

/** `.*` removed, lower-cased, trailing dot added: how Mesos-DNS cleans a name from a URL. */
function cleanName(raw: string): string {
  const name = raw.split('.*').join('').toLowerCase();
  return name.endsWith('.') ? name : `${name}.`;
}

function send(res: ServerResponse, status: number, body: unknown, head = false): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}

export function createMesosDnsHttpHandler(options: MesosDnsHttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, { error: `method ${req.method} not allowed` });
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return send(res, 400, { error: 'bad request path' });
    }
    if (path === '/v1/version') return send(res, 200, { Service: 'Mesos-DNS', URL: 'https://github.com/mesosphere/mesos-dns', Version: options.version }, head);
    if (path === '/v1/config') return send(res, 200, options.config(), head);
    const records = options.records();
    const known = /^\/v1\/(hosts|services|enumerate|axfr)(\/|$)/.test(path);
    if (!known) return send(res, 404, { error: `no such endpoint: ${path}` }, head);
    if (/^\/v1\/hosts\/[^/]+\/ports$/.test(path)) return send(res, 501, 'To be implemented...', head);
    // Mesos-DNS does not listen at all before its first state load; we listen and say why we cannot answer.
    if (!records) return send(res, 503, { error: 'no cluster state yet' }, head);

    let match = /^\/v1\/hosts\/([^/]+)$/.exec(path);
    if (match) {
      const name = cleanName(match[1]!);
      const own = records.names.get(name);
      const found = [...(own?.a ?? []), ...(own?.aaaa ?? [])].map((ip) => ({ host: name, ip }));
      return send(res, 200, found.length ? found : [{ host: '', ip: '' }], head);
    }
    match = /^\/v1\/services\/([^/]+)$/.exec(path);
    if (match) {
      const service = match[1]!;
      const found: { service: string; host: string; ip: string; port: string }[] = [];
      for (const srv of records.names.get(cleanName(service))?.srv ?? []) {
        const target = records.names.get(srv.target);
        const a = target?.a[0];
        const aaaa = target?.aaaa[0];
        if (a) found.push({ service, host: srv.target, ip: a, port: String(srv.port) });
        if (aaaa) found.push({ service, host: srv.target, ip: aaaa, port: String(srv.port) });
      }
      return send(res, 200, found.length ? found : [{ service: '', host: '', ip: '', port: '' }], head);
    }
    if (!options.enumerationOn) return send(res, 404, { error: 'enumeration is off (EnumerationOn: false)' }, head);
    if (path === '/v1/enumerate') {
      return send(res, 200, { frameworks: records.enumerate().map((f) => ({ tasks: f.tasks, name: f.name })) }, head);
    }
    if (path === '/v1/axfr') {
      const map = (m: ReadonlyMap<string, readonly string[]>) => Object.fromEntries(m);
      return send(
        res,
        200,
        {
          TTL: options.zone.ttl,
          Serial: options.serial(),
          RefreshSeconds: options.zone.refreshSeconds,
          Mname: options.zone.mname,
          Rname: options.zone.rname,
          Domain: options.zone.domain,
          Records: { As: map(records.a), AAAAs: map(records.aaaa), SRVs: Object.fromEntries([...records.srv].map(([n, v]) => [n, v.map((s) => `${s.target}:${s.port}`)])) },
        },
        head,
      );
    }
    return send(res, 404, { error: `no such endpoint: ${path}` }, head);
  };
}
