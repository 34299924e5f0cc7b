// JSON Schema of `gatehouse.yaml` (README "Configuration"). Shape and types only; meaning (a source that
// needs its section, paths, URLs) is checked afterwards in gatehouse-config.ts.
import type { Schema } from './schema-check.js';

const duration = { type: ['string', 'number'], format: 'duration', minimum: 0 };
const size = { type: ['string', 'integer'], format: 'size', minimum: 0 };
const listen = { type: 'string', format: 'listen-address' };
const section = (properties: Record<string, unknown>): Schema => ({ type: 'object', additionalProperties: false, properties });

export const GATEHOUSE_SCHEMA: Schema = section({
  cluster: section({
    source: { enum: ['local', 'mesos', 'file'] },
    local: section({
      apps: { type: 'string', minLength: 1 },
      seedApps: { type: ['string', 'null'], minLength: 1 },
      agents: { type: 'integer', minimum: 1, maximum: 64 },
      workDir: { type: 'string', minLength: 1 },
      http: listen,
      advertise: { type: 'string', pattern: '^(auto|[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$' },
      name: { type: 'string', minLength: 1, maxLength: 128 },
      resources: section({
        cpus: { type: 'number', exclusiveMinimum: 0 },
        mem: { type: 'number', exclusiveMinimum: 0 },
        disk: { type: 'number', minimum: 0 },
        ports: { type: 'string' },
      }),
      isolation: { enum: ['auto', 'none'] },
    }),
    mesos: section({
      masters: { type: 'array', items: { type: 'string', minLength: 1 } },
      marathon: { type: ['string', 'null'] },
      refresh: duration,
      timeout: duration,
    }),
    file: section({ path: { type: 'string', minLength: 1 } }),
    staleAfter: duration,
    unusableAfter: duration,
  }),
  dns: section({
    enabled: { type: 'boolean' },
    listen,
    domain: { type: 'string', minLength: 1 },
    ttl: { type: 'integer', minimum: 0, maximum: 2147483647 },
    resolvers: { type: 'array', items: { type: 'string', minLength: 1 } },
    resolverTimeout: duration,
    http: listen,
    ipSources: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['netinfo', 'docker', 'mesos', 'host'] } },
    enforceRFC952: { type: 'boolean' },
    healthyOnly: { type: 'boolean' },
    workers: { type: ['integer', 'string'], format: 'workers', minimum: 1, maximum: 256 },
  }),
  gateway: section({
    enabled: { type: 'boolean' },
    listen,
    tls: section({ cert: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 } }),
    routes: { type: 'string', minLength: 1 },
    workers: { type: ['integer', 'string'], format: 'workers', minimum: 1, maximum: 256 },
    maxBodySize: size,
    maxHeaderSize: { type: ['string', 'integer'], format: 'size', minimum: 1024, maximum: 1048576 },
    shutdownTimeout: duration,
    bodyTimeout: duration,
    discardBodyTimeout: duration,
    discardBodySize: size,
    maxConnectionsPerAddress: { type: 'integer', minimum: 1, maximum: 1048576 },
    engine: { enum: ['lean', 'node'] },
    accept: { enum: ['shared', 'round-robin'] },
    exec: section({
      allow: section({
        uid: { type: 'array', items: { type: 'string', minLength: 1 } },
        groups: { type: 'array', items: { type: 'string', minLength: 1 } },
      }),
    }),
    accessLog: section({
      enabled: { type: 'boolean' },
      sample: { type: 'number', minimum: 0, maximum: 1 },
      buffer: { type: ['string', 'integer'], format: 'size', minimum: 65536, maximum: 1073741824 },
    }),
  }),
  authn: section({
    enabled: { type: 'boolean' },
    signingKey: { type: 'string', minLength: 1 },
    users: { type: 'string', minLength: 1 },
    tokenTtl: duration,
    adminGroup: { type: 'string', minLength: 1 },
    trust: {
      type: 'array',
      items: section({
        jwks: { type: 'string', minLength: 1 },
        publicKey: { type: 'string', minLength: 1 },
        issuer: { type: 'string', minLength: 1 },
        audience: { type: 'string', minLength: 1 },
        refetchCooldown: duration,
      }),
    },
  }),
  mesh: section({
    enabled: { type: 'boolean' },
    vipRange: { type: 'string', minLength: 1 },
    interface: { type: ['string', 'null'], format: 'interface-name' },
    balance: { enum: ['round-robin', 'least-connections'] },
    connectTimeout: duration,
    failureBackoff: duration,
    drainTimeout: duration,
    workers: { type: ['integer', 'string'], format: 'workers', minimum: 1, maximum: 256 },
  }),
  log: section({ level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] } }),
});
