// Peer: the least a Node reverse proxy on http-proxy does (keep-alive agent, no auth, no routing).
// Usage: node bench/peers/bare-http-proxy.cjs PORT UPSTREAM_PORT
const http = require('node:http');
const httpProxy = require('http-proxy');

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({});
proxy.on('error', (_error, _req, res) => { res.statusCode = 502; res.end(); });
http.createServer((req, res) => proxy.web(req, res, { target: `http://127.0.0.1:${upstreamPort}`, agent })).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
