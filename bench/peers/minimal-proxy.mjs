// Peers: the least a Node reverse proxy on undici does (no auth, no routing, no access log), on two
// HTTP servers: node:http (`node-http`), and Node's own llhttp parser on a plain net server without
// node:http's per-request objects (`llhttp`, what gateway.engine: lean does for its hot path).
// GET only, as the benchmark sends. Usage: node bench/peers/minimal-proxy.mjs node-http|llhttp PORT UPSTREAM_PORT
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createRequire } from 'node:module';
import { Pool } from 'undici';

const [mode, port, upstreamPort] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256, pipelining: 1, keepAliveTimeout: 4000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function forward(headers, onHead, onChunk, onDone, onFail) {
  pool.dispatch({ path: '/', method: 'GET', headers }, {
    onConnect() {},
    onHeaders(status, raw) { onHead(status, raw); return true; },
    onData(chunk) { onChunk(chunk); return true; },
    onComplete() { onDone(); },
    onError(error) { onFail(error); },
  });
}

if (mode === 'node-http') {
  createHttpServer((req, res) => {
    forward({ ...req.headers, 'x-forwarded-for': req.socket.remoteAddress }, (status, raw) => {
      const headers = {};
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toString('latin1').toLowerCase();
        if (!HOP.has(name)) headers[name] = raw[i + 1].toString('latin1');
      }
      res.writeHead(status, headers);
    }, (chunk) => res.write(chunk), () => res.end(), () => res.destroy());
  }).listen(port, '127.0.0.1');
} else if (mode === 'llhttp') {
  const { HTTPParser } = createRequire(import.meta.url)('_http_common');
  createNetServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, {}, 32 * 1024, HTTPParser.kLenientNone);
    parser[HTTPParser.kOnHeadersComplete] = (_major, _minor, rawHeaders) => {
      const headers = { 'x-forwarded-for': socket.remoteAddress };
      for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i].toLowerCase()] = rawHeaders[i + 1];
      const out = [];
      forward(headers, (status, raw) => {
        let head = `HTTP/1.1 ${status} OK\r\n`;
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i].toString('latin1');
          if (!HOP.has(name.toLowerCase())) head += `${name}: ${raw[i + 1].toString('latin1')}\r\n`;
        }
        out.push(Buffer.from(`${head}\r\n`, 'latin1'));
      }, (chunk) => out.push(chunk), () => socket.write(Buffer.concat(out)), () => socket.destroy());
      return 0;
    };
    parser[HTTPParser.kOnBody] = () => {};
    parser[HTTPParser.kOnMessageComplete] = () => {};
    socket.on('data', (chunk) => { if (typeof parser.execute(chunk) !== 'number') socket.destroy(); });
    socket.on('close', () => parser.free());
  }).listen(port, '127.0.0.1');
} else {
  console.error('usage: node bench/peers/minimal-proxy.mjs node-http|llhttp PORT UPSTREAM_PORT');
  process.exit(2);
}
