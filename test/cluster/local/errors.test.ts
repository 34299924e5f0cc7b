// The embedded cluster's errors: typed (LocalClusterError, a ClusterError) with stable codes, and
// messages that name the culprit.
import pino from 'pino';
import { expect, test } from 'vitest';
import { ClusterError } from '../../../cluster/index.js';
import { LocalCluster, LocalClusterError, type LocalClusterOptions } from '../../../cluster/local/index.js';
import { LocalMaster } from '../../../cluster/local/master/master.js';
import { parsePortRanges } from '../../../core/index.js';
import { MemoryApps } from '../../support/local-apps.js';

const logger = pino({ level: 'silent' });
const options = (agents: number, ports: string): LocalClusterOptions => ({
  apps: new MemoryApps([]), agents, workDir: '/nonexistent', listen: { host: '127.0.0.1', port: 0 }, isolation: 'none', logger,
  resources: { cpus: 1, mem: 128, disk: 0, ports: parsePortRanges(ports) },
});

const cases: { name: string; run: () => unknown; code: string; message: RegExp }[] = [
  {
    name: 'no agents',
    run: () => new LocalCluster(options(0, '20000-20001')),
    code: 'ERR_CLUSTER_LOCAL_OPTIONS',
    message: /cluster\.local\.agents .*got 0/,
  },
  {
    name: 'fewer ports than agents',
    run: () => new LocalCluster(options(3, '20000-20001')),
    code: 'ERR_CLUSTER_LOCAL_OPTIONS',
    message: /fewer ports than there are agents \(3\)/,
  },
  {
    name: 'the master before start()',
    run: () => new LocalCluster(options(1, '20000-20001')).master,
    code: 'ERR_CLUSTER_LOCAL_NOT_STARTED',
    message: /not started/,
  },
  {
    name: 'the scheduler before start()',
    run: () => new LocalCluster(options(1, '20000-20001')).scheduler,
    code: 'ERR_CLUSTER_LOCAL_NOT_STARTED',
    message: /not started/,
  },
  {
    name: 'an offer the master never made',
    run: () => new LocalMaster({ logger, ip: '127.0.0.1' }).accept('offer-x', []),
    code: 'ERR_CLUSTER_LOCAL_OFFER_INVALID',
    message: /offer offer-x is no longer valid/,
  },
];

test.each(cases)('$name → $code', ({ run, code, message }) => {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(LocalClusterError);
  expect(thrown).toBeInstanceOf(ClusterError);
  expect(thrown).toMatchObject({ code, name: 'LocalClusterError', message: expect.stringMatching(message) });
});
