// Peer: a server built on dns2's own UDP server (the core DNS dependency), answering from a Map of
// names to IPs built from the same state. Usage: node bench/peers/dns2-server.mjs PORT NAMES.json
import { readFileSync } from 'node:fs';
import dns2 from 'dns2';

const [port, namesFile] = [Number(process.argv[2]), process.argv[3]];
const names = new Map(Object.entries(JSON.parse(readFileSync(namesFile, 'utf8'))));
const { Packet } = dns2;
const server = dns2.createServer({
  udp: true,
  handle: (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    const ips = question && question.type === Packet.TYPE.A ? names.get(question.name.toLowerCase()) : undefined;
    if (ips) for (const address of ips) response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address });
    else response.header.rcode = 3;
    send(response);
  },
});
server.on('listening', () => process.stdout.write('ready\n'));
server.listen({ udp: { port, address: '127.0.0.1', type: 'udp4' } });
