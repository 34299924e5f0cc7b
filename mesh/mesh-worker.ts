// Entry point of a mesh balancer process (forked by mesh/mesh-workers.ts when mesh.workers > 1). It
// holds no table of its own: the primary sends each VIP's listening socket with the VIP, then each new
// table's backends, and asks for the counters when /metrics or the VIP status is read. A worker whose
// primary goes away closes its listeners and exits when its connections are done (or at once on `stop`).
import type { Server } from 'node:net';
import { BackendStates, Pool } from './backends.js';
import { MeshMetrics } from './metrics.js';
import { VipListener } from './vip-listener.js';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.js';

const settings = JSON.parse(process.env['GATEHOUSE_MESH_WORKER'] ?? 'null') as WorkerSettings | null;
if (!settings || !process.send) {
  console.error('mesh-worker: started without its settings; it is started by `gatehouse run` with mesh.workers > 1');
  process.exit(2);
}
const send = (message: FromWorker) => process.send!(message);
const metrics = new MeshMetrics();
const states = new BackendStates();
const listeners = new Map<string, VipListener>();
const retired = new Set<VipListener>();
metrics.countOpenBytes = () => {
  for (const l of [...listeners.values(), ...retired]) for (const c of l.connections) c.countBytes();
};

process.on('message', (message: ToWorker, handle?: Server) => {
  switch (message.type) {
    case 'listen': {
      const pool = new Pool(message.vip.backends, states, settings.balance);
      const listener = new VipListener(message.vip, pool, settings.forward, metrics, settings.drainTimeoutMs);
      // Known at once: a `close` for it may come before the listen completes.
      listeners.set(message.vip.key, listener);
      listener.listen(handle).then(
        () => send({ type: 'listening', key: message.vip.key, error: null }),
        (error: Error) => {
          if (listeners.get(message.vip.key) === listener) listeners.delete(message.vip.key);
          send({ type: 'listening', key: message.vip.key, error: error.message });
        },
      );
      break;
    }
    case 'update': {
      const listener = listeners.get(message.vip.key);
      listener?.update(message.vip, new Pool(message.vip.backends, states, settings.balance, listener.pool));
      break;
    }
    case 'close': {
      const listener = listeners.get(message.key);
      if (!listener) break;
      listeners.delete(message.key);
      retired.add(listener);
      void listener.close().then(() => forgetWhenIdle(listener));
      break;
    }
    case 'stats': {
      metrics.countOpenBytes();
      const open = new Map<string, number>();
      for (const l of [...listeners.values(), ...retired]) open.set(l.vip.key, (open.get(l.vip.key) ?? 0) + l.connections.size);
      send({ type: 'stats', seq: message.seq, ...metrics.snapshot(), open: [...open] });
      break;
    }
    case 'stop': {
      for (const l of [...listeners.values(), ...retired]) {
        void l.close();
        l.destroyConnections();
      }
      process.exit(0);
    }
  }
});

function forgetWhenIdle(listener: VipListener): void {
  if (listener.connections.size === 0) retired.delete(listener);
  else setTimeout(() => forgetWhenIdle(listener), 1000).unref();
}

// The primary is gone (killed): accept nothing more, let the open connections finish.
process.on('disconnect', () => {
  for (const l of listeners.values()) void l.close();
  const exitWhenIdle = () => {
    const open = [...listeners.values(), ...retired].reduce((n, l) => n + l.connections.size, 0);
    if (open === 0) process.exit(0);
    setTimeout(exitWhenIdle, 1000);
  };
  exitWhenIdle();
});

send({ type: 'ready' });
