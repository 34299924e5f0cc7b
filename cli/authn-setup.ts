// Authentication for `gatehouse run`: the signing key (created on first start), the users file
// (an `admin` with a random password on first start, printed once on the terminal, never logged),
// the verifier with every trusted key, the login limiter, and the cluster's stable id.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { LoginLimiter, OWN_ISSUER, TokenVerifier, bootstrapAdmin, loadOrCreateSigningKey, loadTrustedIssuers, type LoginContext } from '../authn/index.js';
import type { GatehouseConfig } from '../config/index.js';
import { UsersFeed, type UsersSource } from './users-feed.js';

export interface RunningAuthn {
  readonly verifier: TokenVerifier;
  readonly login: LoginContext;
  readonly clusterId: string;
  /** First start: the generated password of the `admin` just created (to print once), else null. */
  readonly createdAdminPassword: string | null;
  /** The users served, with their generation. */
  readonly users: UsersSource;
  close(): void;
}

export interface AuthnSetupOptions {
  /** A gateway worker's users, fed by the primary; without it the users file is read and watched here. */
  readonly users?: UsersSource;
  /** Where the login-attempt counter is registered (the process's registry). */
  readonly registry?: Registry;
}

export async function startAuthn(config: GatehouseConfig, logger: Logger, options: AuthnSetupOptions = {}): Promise<RunningAuthn> {
  const { registry } = options;
  const { key, created, warning } = await loadOrCreateSigningKey(config.authn.signingKey);
  if (created) logger.info({ path: config.authn.signingKey }, 'created the signing key (mode 0600)');
  if (warning) logger.warn(warning);
  // Shown once by the caller, on the terminal (cli/first-run-notice.ts), never in the log stream.
  const createdAdminPassword = await bootstrapAdmin(config.authn.users);
  // The users file is re-read when it changes (`gatehouse user add` while running); a broken edit
  // keeps the last good users and says why.
  const users = options.users ?? (await UsersFeed.open({ path: config.authn.users, logger }));
  const trusted = await loadTrustedIssuers(config.authn.trust);
  const verifier = new TokenVerifier({ own: { kid: key.kid, alg: key.alg, key: key.publicKey, issuer: OWN_ISSUER }, ...trusted, logger });
  // Trusted issuers' key sets are fetched before the gateway opens, so the first tokens do not wait
  // on the issuer and an unreachable one is reported at start (it is retried when a token needs it).
  await verifier.start();
  // Per process: with gateway workers each worker limits on its own (README "Workers, limits, shutdown").
  const limiter = new LoginLimiter();
  const attempts = registry
    ? new Counter({
        name: 'gatehouse_authn_login_attempts_total',
        help: 'Login attempts by outcome: ok and failed were checked (password or key proof), limited were refused (429) before any check',
        labelNames: ['outcome'] as const,
        registers: [registry],
      })
    : undefined;
  return {
    verifier,
    users,
    createdAdminPassword,
    login: { users: () => users.users, signingKey: key, tokenTtlMs: config.authn.tokenTtlMs, limiter, ...(attempts ? { attempts } : {}) },
    clusterId: await clusterId(join(dirname(config.authn.signingKey), 'cluster-id')),
    close() {
      users.close();
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
