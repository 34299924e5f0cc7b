// A UDP and TCP port pair free on one address, for DNS workers configured with port 0. The primary
// picks the pair and the workers listen on it: a worker may not search itself. Its siblings share its
// UDP socket, so a retry gets the same UDP port back, and on a port whose TCP listen failed once,
// node:cluster (Node 24) asserts and kills the worker (the failed listen leaves the primary's handle
// registered in the worker under that port).
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const ATTEMPTS = 20;

/** Binds UDP on port 0, listens on TCP on the same port, and releases both: the port, free for both a moment ago. */
export async function findPortPair(host: string): Promise<number> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ port: 0, address: host, exclusive: true }, () => resolve(udp.address().port));
    }).catch((error: unknown) => {
      udp.close();
      throw error;
    });
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port, host, exclusive: true }, () => resolve());
      });
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      return port;
    } catch (error) {
      lastError = error;
    } finally {
      udp.close();
    }
  }
  throw lastError;
}
