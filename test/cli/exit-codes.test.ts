// The one map from an error to the exit code: wrong input (arguments, a config file) exits 1,
// everything that went wrong while running exits 2.
import { expect, test } from 'vitest';
import { AuthnError } from '../../authn/index.js';
import { UsageError } from '../../cli/arguments.js';
import { EXIT_INVALID_INPUT, EXIT_RUNTIME_FAILURE, exitCodeFor } from '../../cli/exit-codes.js';
import { ClusterError } from '../../cluster/index.js';
import { LocalClusterError } from '../../cluster/local/index.js';
import { ConfigError } from '../../config/index.js';
import { GatehouseError } from '../../core/index.js';
import { DnsError, MesosDnsConfigError } from '../../dns/index.js';

const problem = { file: 'f.yaml', line: 1, col: 1, path: 'dns.ttl', message: 'must be a number' };

const cases: { name: string; error: unknown; exit: number }[] = [
  { name: 'a bad gatehouse config', error: new ConfigError([problem]), exit: EXIT_INVALID_INPUT },
  { name: 'bad arguments', error: new UsageError('unknown option --x'), exit: EXIT_INVALID_INPUT },
  { name: 'a bad Mesos-DNS config.json', error: new MesosDnsConfigError([problem], false), exit: EXIT_INVALID_INPUT },
  { name: 'a ZooKeeper-only Mesos-DNS config', error: new MesosDnsConfigError([problem], true), exit: EXIT_INVALID_INPUT },
  { name: 'a DNS port in use', error: new DnsError('ERR_DNS_LISTEN', 'dns: cannot listen'), exit: EXIT_RUNTIME_FAILURE },
  { name: 'a cluster fetch failure', error: new ClusterError('ERR_CLUSTER_FETCH_FAILED', 'master down'), exit: EXIT_RUNTIME_FAILURE },
  { name: 'the embedded cluster cannot listen', error: new LocalClusterError('ERR_CLUSTER_LOCAL_LISTEN', 'in use'), exit: EXIT_RUNTIME_FAILURE },
  { name: 'an unreadable key file', error: new AuthnError('ERR_AUTHN_KEY_FILE', 'unreadable'), exit: EXIT_RUNTIME_FAILURE },
  { name: 'a gateway without authn', error: new GatehouseError('ERR_GATEWAY_NEEDS_AUTHN', 'needs authn'), exit: EXIT_RUNTIME_FAILURE },
  { name: 'a plain Error', error: new Error('bug'), exit: EXIT_RUNTIME_FAILURE },
  { name: 'a thrown string', error: 'bug', exit: EXIT_RUNTIME_FAILURE },
];

test.each(cases)('$name → exit $exit', ({ error, exit }) => {
  expect(exitCodeFor(error)).toBe(exit);
});
