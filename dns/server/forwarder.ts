// Names outside the zone go verbatim to the upstream resolvers, in order, over the transport the
// client used; the first upstream that answers wins (Mesos-DNS §2.6). No answer from any -> null,
// and the caller answers SERVFAIL.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

export async function forward(msg: Buffer, transport: 'udp' | 'tcp', upstreams: readonly Upstream[], timeoutMs: number): Promise<Buffer | null> {
  for (const upstream of upstreams) {
    const reply = await (transport === 'udp' ? exchangeUdp : exchangeTcp)(msg, upstream, timeoutMs).catch(() => null);
    if (reply && reply.length >= 12 && reply.readUInt16BE(0) === msg.readUInt16BE(0)) return reply;
  }
  return null;
}

function exchangeUdp(msg: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(upstream.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new Error('timeout')), timeoutMs);
    const finish = (error: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(reply!);
    };
    socket.on('error', (error) => finish(error));
    socket.on('message', (reply, rinfo) => {
      // Only the upstream we asked may answer this query (no spoofing from other addresses).
      if (rinfo.port === upstream.port && reply.length >= 2 && reply.readUInt16BE(0) === msg.readUInt16BE(0)) finish(null, reply);
    });
    socket.send(msg, upstream.port, upstream.host);
  });
}

function exchangeTcp(msg: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => {
      const framed = Buffer.allocUnsafe(msg.length + 2);
      framed.writeUInt16BE(msg.length, 0);
      msg.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        resolve(received.subarray(2, 2 + received.readUInt16BE(0)));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before a complete answer')));
  });
}
