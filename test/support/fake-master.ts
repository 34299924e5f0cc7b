// A local HTTP server playing a Mesos master (or Marathon): serves whatever document it is given,
// or misbehaves on request (500, hang, reset, huge body). Mocks only what cannot run here.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 'error500' | 'hang' | 'reset' | 'huge';

export interface FakeMaster {
  readonly url: string;
  readonly port: number;
  requests: number;
  body: string;
  behaviour: Behaviour;
  close(): Promise<void>;
}

export async function startFakeMaster(path = '/master/state'): Promise<FakeMaster> {
  const hanging: ServerResponse[] = [];
  const fake: FakeMaster = { url: '', port: 0, requests: 0, body: '{}', behaviour: 'ok', close: async () => undefined };
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith(path)) {
      res.writeHead(404).end();
      return;
    }
    fake.requests++;
    switch (fake.behaviour) {
      case 'error500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'hang':
        hanging.push(res);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1 << 20, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 200 && res.write(chunk)) sent++;
          if (sent < 200) res.once('drain', pump);
          else res.end();
        };
        res.on('close', () => (sent = 200));
        pump();
        return;
      }
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end(fake.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return fake;
}
