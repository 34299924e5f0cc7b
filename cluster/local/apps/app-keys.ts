// The keys of a Marathon app definition file: the JSON Schemas of the keys the embedded cluster
// implements, and the well-known Marathon keys it does not, each with the reason it gives the operator.
import type { Schema } from '../../../config/index.js';

const int = (minimum: number, maximum?: number): Schema => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) });
const PORT = int(0, 65535);

export const HEALTH_CHECK_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocol: { enum: ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'] },
    path: { type: 'string', pattern: '^/' },
    portIndex: int(0),
    command: { type: 'object', additionalProperties: false, required: ['value'], properties: { value: { type: 'string', minLength: 1 } } },
    gracePeriodSeconds: int(0),
    intervalSeconds: int(1),
    timeoutSeconds: int(1),
    maxConsecutiveFailures: int(0),
    ignoreHttp1xx: { type: 'boolean' },
  },
};

export const APP_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', minLength: 1 },
    cmd: { type: 'string', minLength: 1 },
    args: { type: 'array', minItems: 1, items: { type: 'string' } },
    instances: int(0),
    cpus: { type: 'number', exclusiveMinimum: 0 },
    mem: { type: 'number', minimum: 0 },
    disk: { type: 'number', minimum: 0 },
    ports: { type: 'array', items: PORT },
    portDefinitions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          port: PORT,
          name: { type: 'string', pattern: '^[a-z0-9-]+$' },
          protocol: { enum: ['tcp', 'udp', 'udp,tcp'] },
          labels: { type: 'object' },
        },
      },
    },
    requirePorts: { type: 'boolean' },
    labels: { type: 'object' },
    env: { type: 'object' },
    healthChecks: { type: 'array', items: HEALTH_CHECK_SCHEMA },
    backoffSeconds: { type: 'number', minimum: 0 },
    backoffFactor: { type: 'number', minimum: 1 },
    maxLaunchDelaySeconds: { type: 'number', minimum: 0 },
    taskKillGracePeriodSeconds: { type: 'number', minimum: 0 },
  },
};

export const GROUP_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['apps'],
  properties: {
    id: { type: 'string', minLength: 1 },
    apps: { type: 'array', items: { type: 'object' } },
  },
};

export type Severity = 'error' | 'warning';
/** What to say about a Marathon key we do not implement, given its value. */
export type UnsupportedRule = (value: unknown) => { readonly severity: Severity; readonly message: string };

const MESOS = 'or use cluster.source: mesos';
const error =
  (message: string): UnsupportedRule =>
  (value) =>
    isEmpty(value) ? { severity: 'warning', message: `ignored (empty); ${message}` } : { severity: 'error', message };
const warning = (message: string): UnsupportedRule => () => ({ severity: 'warning', message: `ignored: ${message}` });

/** Marathon app keys we recognise but do not implement. Errors when honouring them matters; warnings otherwise. */
export const UNSUPPORTED_APP_KEYS: Readonly<Record<string, UnsupportedRule>> = {
  container: error(`the embedded cluster runs commands only (no Docker/UCR images); drop it ${MESOS}`),
  fetch: error(`the embedded cluster does not download artifacts; put the files in place and drop it, ${MESOS}`),
  uris: error(`the embedded cluster does not download artifacts; put the files in place and drop it, ${MESOS}`),
  user: error(`tasks run as the user running gatehouse, the embedded cluster cannot switch users; drop it ${MESOS}`),
  residency: error(`persistent volumes (resident tasks) are not supported by the embedded cluster; drop it ${MESOS}`),
  secrets: error(`the embedded cluster has no secret store; put the values in env, ${MESOS}`),
  ipAddress: error(`IP-per-task networking is not supported, tasks use host networking; drop it ${MESOS}`),
  executor: error(`custom executors are not supported, tasks run under the embedded agent; drop it ${MESOS}`),
  gpus: (value) =>
    typeof value === 'number' && value > 0
      ? { severity: 'error', message: `the embedded cluster offers no GPUs; drop it ${MESOS}` }
      : { severity: 'warning', message: 'ignored: the embedded cluster offers no GPUs' },
  networks: (value) =>
    Array.isArray(value) && value.every((n) => (n as { mode?: unknown } | null)?.mode === 'host')
      ? { severity: 'warning', message: 'ignored: tasks always use host networking' }
      : {
          severity: 'error',
          message: `only host networking is supported (tasks bind the ports they are given on this machine); drop it ${MESOS}`,
        },
  constraints: warning('all agents of the embedded cluster are on this machine, placement constraints have no effect'),
  acceptedResourceRoles: warning('the embedded cluster has no resource roles'),
  upgradeStrategy: warning('the embedded scheduler uses its own upgrade strategy'),
  dependencies: warning('apps are deployed without ordering between them'),
  unreachableStrategy: warning('agents of the embedded cluster run on this machine and cannot become unreachable'),
  killSelection: warning('the embedded scheduler chooses which tasks to kill when scaling down'),
  storeUrls: warning('deprecated in Marathon and not used'),
  readinessChecks: warning('readiness checks are not implemented and deployments do not wait for them; use healthChecks'),
};

export const UNSUPPORTED_HEALTH_CHECK_KEYS: Readonly<Record<string, UnsupportedRule>> = {
  port: () => ({ severity: 'error', message: 'a fixed health check port is not supported; use portIndex' }),
  delaySeconds: warning('checks start after gracePeriodSeconds'),
  ipProtocol: warning('checks connect to the task on this machine'),
};

export const UNSUPPORTED_GROUP_KEYS: Readonly<Record<string, UnsupportedRule>> = {
  groups: () => ({ severity: 'error', message: 'nested groups are not supported in one file; put each group in its own file with its own id' }),
  dependencies: warning('apps are deployed without ordering between them'),
};

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}
