// One request at a time per client connection, for the node:http engine (the lean engine's
// connection does the same by not parsing the next request before the answer is complete).
// node:http hands over every request pipelined on a connection as soon as it is parsed: one write of
// a thousand GETs would become a thousand upstream requests at once. Here the next request of a
// connection is handled only once the previous answer is complete (as nginx does); while requests
// wait, the socket is paused, and when the client leaves, those still waiting are dropped unhandled.
// An upgrade request waits for the answers before it in the same way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Lane {
  busy: boolean;
  /** This gate paused the socket. */
  paused: boolean;
  readonly waiting: Array<() => void>;
}

export class PipelineGate {
  readonly #lanes = new WeakMap<Socket, Lane>();

  request(req: IncomingMessage, res: ServerResponse, handle: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.#enter(req.socket, (done) => {
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        done();
      };
      res.once('finish', leave);
      res.once('close', leave);
      handle(req, res);
    });
  }

  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, handle: (req: IncomingMessage, socket: Socket, head: Buffer) => void): void {
    const lane = this.#lanes.get(socket);
    if (!lane?.busy) return handle(req, socket, head);
    this.#enter(socket, () => {
      // The socket is the upgrade's now: no more holding it back, and node:http's keep-alive timer
      // (armed when the answer before finished) is off.
      lane.paused = false;
      (socket as NodeHttpSocket)._paused = false;
      socket.setTimeout(0);
      handle(req, socket, head);
    });
  }

  #enter(socket: Socket, run: (done: () => void) => void): void {
    let lane = this.#lanes.get(socket);
    if (!lane) {
      const created: Lane = { busy: false, paused: false, waiting: [] };
      lane = created;
      this.#lanes.set(socket, created);
      socket.once('close', () => {
        created.waiting.length = 0; // the client left: requests still waiting are never handled
      });
      // node:http resumes reading whenever an answer's bytes go out (its own pause is for clients that
      // do not read their answers): while requests wait here, reading stops again at once.
      socket.on('resume', () => {
        if (created.paused && !socket.destroyed) pauseReading(socket);
      });
    }
    const current = lane;
    const next = (): void => {
      const following = current.waiting.shift();
      if (following) return following();
      current.busy = false;
      if (current.paused) {
        current.paused = false;
        if (!socket.destroyed) resumeReading(socket);
      }
    };
    const start = (): void => {
      current.busy = true;
      run(next);
    };
    if (!current.busy) return start();
    current.waiting.push(start);
    if (!current.paused) {
      current.paused = true;
      pauseReading(socket);
    }
  }
}

/**
 * node:http's own way of holding a connection's requests back (it does so when a client does not
 * read its answers): `_paused` keeps the socket from being resumed by node:http's request objects
 * (reading an IncomingMessage, or discarding it once answered, resumes the socket otherwise), and
 * node:http pauses its parser after the read in progress; pausing the socket stops reading from the
 * connection. Undone as node:http undoes it on 'drain'.
 */
type NodeHttpSocket = Socket & { _paused?: boolean; parser?: { pause(): void; resume(): void } | null };

function pauseReading(socket: NodeHttpSocket): void {
  socket._paused = true;
  socket.pause();
}

function resumeReading(socket: NodeHttpSocket): void {
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}
