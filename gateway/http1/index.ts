export { loadParser, type ParserFactory } from './parser.js';
export { Http1Server, type Http1ServerOptions } from './server.js';
export type { Http1Handlers, LeanRequest } from './connection.js';
export { LeanResponse, type ResponseSink } from './lean-response.js';
export { LeanUpstreamClient, type UpstreamHandler } from './upstream.js';
