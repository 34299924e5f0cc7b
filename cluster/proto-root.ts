// Our .proto subset of Mesos's v1 APIs (master, agent and the shared mesos.proto), parsed with
// protobufjs on first use: protobufjs is ~45 modules and 120-330 ms of CPU at a process's start, and
// most processes never see an operator or agent API call.
import { join } from 'node:path';
import type protobuf from 'protobufjs';
import { assetFile, requirePackage } from '../core/index.js';

/** Where the .proto files are (copied into dist/ by the build). */
const PROTO_DIR = assetFile('cluster/local/api/proto/');

/** `file` (e.g. `agent.proto`) and what it imports, resolved, with the proto's own field names kept. */
export function loadProtoRoot(file: string): protobuf.Root {
  const protobufjs = requirePackage<typeof protobuf>('protobufjs');
  const root = new protobufjs.Root();
  // Imports name files by their base name: they all live in PROTO_DIR.
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target.replace(/^.*\//, ''));
  root.loadSync(file, { keepCase: true });
  root.resolveAll();
  return root;
}
