// Authentication for `gatehouse run`: the signing key (created on first start), the users file
// (an `admin` with a random password on first start, printed once on the terminal, never logged),
// the verifier with every trusted key, the login limiter, and the cluster's stable id.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { LoginLimiter, OWN_ISSUER, TokenVerifier, bootstrapAdmin, loadOrCreateSigningKey, loadTrustedIssuers, loadUsers, type LoginContext, type UsersFile } from '../authn/index.js';
import type { GatehouseConfig } from '../config/index.js';

export interface RunningAuthn {
  readonly verifier: TokenVerifier;
  readonly login: LoginContext;
  readonly clusterId: string;
  close(): void;
}

export async function startAuthn(config: GatehouseConfig, logger: Logger, registry?: Registry): Promise<RunningAuthn> {
  const { key, created, warning } = await loadOrCreateSigningKey(config.authn.signingKey);
  if (created) logger.info({ path: config.authn.signingKey }, 'created the signing key (mode 0600)');
  if (warning) logger.warn(warning);
  const password = await bootstrapAdmin(config.authn.users);
  if (password) {
    // On the terminal, not in the log stream: log lines are shipped and kept, this must not be.
    process.stderr.write(`\n  Gatehouse created ${config.authn.users} with the user "admin".\n  Password (shown once): ${password}\n\n`);
  }
  let users: UsersFile = await loadUsers(config.authn.users);
  let usersStamp = (await stat(config.authn.users)).mtimeMs;
  // The users file is re-read when it changes (`gatehouse user add` while running); a broken edit
  // keeps the last good users and says why.
  const refresh = setInterval(() => {
    void stat(config.authn.users).then(async (s) => {
      if (s.mtimeMs === usersStamp) return;
      usersStamp = s.mtimeMs;
      try {
        users = await loadUsers(config.authn.users);
        logger.info({ path: config.authn.users }, 'users reloaded');
      } catch (error) {
        logger.error({ path: config.authn.users, reason: (error as Error).message }, 'users file is invalid; keeping the last good users');
      }
    }, () => undefined);
  }, 1000);
  refresh.unref();
  const trusted = await loadTrustedIssuers(config.authn.trust);
  const verifier = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: OWN_ISSUER }, ...trusted, logger });
  // Trusted issuers' key sets are fetched before the gateway opens, so the first tokens do not wait
  // on the issuer and an unreachable one is reported at start (it is retried when a token needs it).
  await verifier.start();
  // Per process: with gateway workers each worker limits on its own (README "Workers, limits, shutdown").
  const limiter = new LoginLimiter();
  const attempts = registry ? new Counter({ name: 'gatehouse_authn_login_attempts_total', help: 'Login attempts by outcome: ok and failed were checked (password or key proof), limited were refused (429) before any check', labelNames: ['outcome'] as const, registers: [registry] }) : undefined;
  return {
    verifier,
    login: { users: () => users, signingKey: key, tokenTtlMs: config.authn.tokenTtlMs, limiter, ...(attempts ? { attempts } : {}) },
    clusterId: await clusterId(join(dirname(config.authn.signingKey), 'cluster-id')),
    close() {
      clearInterval(refresh);
      verifier.close();
      limiter.close();
    },
  };
}

/** A stable id for `/metadata`, kept on disk beside the signing key. */
async function clusterId(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const id = randomUUID();
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, `${id}\n`, { mode: 0o644 });
    return id;
  }
}
