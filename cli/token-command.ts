// `gatehouse token --uid UID [--ttl DURATION] [--config FILE]`: a token signed with this instance's
// key, for scripts and service accounts (`curl -H "Authorization: token=$(gatehouse token --uid ci)"`).
import { issueToken, loadOrCreateSigningKey } from '../authn/index.js';
import { loadConfig, parseDuration } from '../config/index.js';
import { parseCommandArgs, UsageError } from './arguments.js';
import { EXIT_OK } from './exit-codes.js';

export async function tokenCommand(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('token', args, {
    uid: { type: 'string' },
    ttl: { type: 'string' },
    config: { type: 'string', short: 'c', default: 'config/gatehouse.yaml' },
  });
  const uid = values.uid as string | undefined;
  if (!uid) throw new UsageError('gatehouse token: --uid is required');
  const config = await loadConfig(values.config as string);
  const ttlMs =
    values.ttl === undefined
      ? config.authn.tokenTtlMs
      : parseDuration(/^\d+(\.\d+)?$/.test(values.ttl as string) ? Number(values.ttl) : values.ttl);
  if (ttlMs === null || ttlMs <= 0) throw new UsageError(`gatehouse token: --ttl "${String(values.ttl)}" is not a duration (e.g. 90s, 5m, 5d)`);
  const { key, created, warning } = await loadOrCreateSigningKey(config.authn.signingKey);
  if (created) process.stderr.write(`gatehouse token: created the signing key ${config.authn.signingKey} (mode 0600)\n`);
  if (warning) process.stderr.write(`gatehouse token: ${warning}\n`);
  process.stdout.write(`${await issueToken(key, uid, ttlMs)}\n`);
  return EXIT_OK;
}
