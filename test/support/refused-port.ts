// Ports that refuse connections for the whole run. A port bound to 0 and closed again is handed out
// to the next `listen(0)` of a test running beside it (it answered a "dead task" test with 404 once),
// so the dead ports are taken below 1024 instead: the kernel never gives those out as ephemeral
// ports, and no test binds one. Each candidate is checked to refuse before it is used.
import { connect } from 'node:net';

const CANDIDATES = [1, 9, 13, 17, 19, 37, 39, 42, 49, 70, 79, 88, 101, 102, 104, 105];

function refuses(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** `count` distinct ports on `host` where a connect is refused (ECONNREFUSED) at once. */
export async function refusedPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const found: number[] = [];
  for (const port of CANDIDATES) {
    if (found.length === count) break;
    if (await refuses(port, host)) found.push(port);
  }
  if (found.length < count) throw new Error(`only ${found.length} of ${count} refusing ports below 1024 on ${host}: ${found.join(', ')}`);
  return found;
}
