// A raw DNS client for tests that need to send bytes no real client would (malformed packets).
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/** Sends one datagram; resolves with the reply, or null when none came within `timeoutMs`. */
export function sendUdp(port: number, packet: Buffer, timeoutMs = 700): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => done(null), timeoutMs);
    const done = (reply: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (reply) => done(reply));
    socket.send(packet, port, '127.0.0.1');
  });
}

/** Writes raw bytes on a TCP connection and collects whatever comes back until it closes or goes quiet. */
export function sendTcpRaw(port: number, bytes: Buffer, quietMs = 500): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let timer = setTimeout(() => socket.destroy(), quietMs);
    socket.on('data', (c) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), quietMs);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

/** A query packet: header (id, flags, counts) + question for `name` (labels as given). */
export function query(name: string, type = 1, options: { id?: number; flags?: number; qclass?: number; edns?: number } = {}): Buffer {
  const labels = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l, 'latin1')]), Buffer.from(l, 'latin1')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(options.id ?? 0x1234, 0);
  header.writeUInt16BE(options.flags ?? 0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(options.edns ? 1 : 0, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(options.qclass ?? 1, 2);
  const opt = options.edns ? Buffer.from([0, 0, 41, options.edns >> 8, options.edns & 255, 0, 0, 0, 0, 0, 0]) : Buffer.alloc(0);
  return Buffer.concat([header, ...labels, Buffer.from([0]), tail, opt]);
}

export const rcodeOf = (reply: Buffer) => reply[3]! & 0x0f;
export const countsOf = (reply: Buffer) => ({ qd: reply.readUInt16BE(4), an: reply.readUInt16BE(6), ns: reply.readUInt16BE(8), ar: reply.readUInt16BE(10) });
