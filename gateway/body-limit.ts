// Request body limits (Admin Router: nginx `client_max_body_size`). A declared Content-Length over the
// limit is refused before anything is read; a chunked body is counted as it streams to the upstream,
// and the upstream request is aborted at the first byte over the limit.
import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from './errors.js';

export class BodyTooLargeError extends GatewayError {
  declare readonly code: 'ERR_GATEWAY_BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super('ERR_GATEWAY_BODY_TOO_LARGE', `the request body is larger than ${limit} bytes (gateway.maxBodySize)`);
  }
}

/** True when the request declares a length above the limit. */
export function declaresTooMuch(req: IncomingMessage, limit: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > limit;
}

/**
 * The body to send upstream: the request itself when its length is declared (already checked), or a
 * counting stream for chunked bodies that fails with BodyTooLargeError past the limit.
 */
export function limitedBody(req: IncomingMessage, limit: number, onTooLarge: (error: BodyTooLargeError) => void): IncomingMessage | Transform {
  if (req.headers['transfer-encoding'] === undefined) return req;
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen <= limit) return done(null, chunk);
      const error = new BodyTooLargeError(limit);
      req.unpipe(counter);
      onTooLarge(error);
      done(error);
    },
  });
  req.on('error', (error) => counter.destroy(error));
  return req.pipe(counter);
}
