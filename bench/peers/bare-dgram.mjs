// Peer: the least a Node server can do. A bare dgram socket answering every query with a
// pre-encoded response (patched ID), no parsing beyond the question. The ceiling for Node here.
// Usage: node bench/peers/bare-dgram.mjs PORT
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
// One A record answer appended after the echoed question.
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
socket.on('message', (msg, rinfo) => {
  if (msg.length < 17) return;
  let end = 12;
  while (end < msg.length && msg[end] !== 0) end += msg[end] + 1;
  end += 5;
  const out = Buffer.allocUnsafe(end + answer.length);
  msg.copy(out, 0, 0, end);
  out[2] = 0x84 | (msg[2] & 1);
  out[3] = 0;
  out.writeUInt16BE(1, 6);
  out.writeUInt32BE(0, 8);
  answer.copy(out, end);
  socket.send(out, rinfo.port, rinfo.address);
});
socket.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
