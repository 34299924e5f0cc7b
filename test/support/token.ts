// What `gatehouse token --uid UID --config FILE` prints, made in this process with the same code
// (cli/token-command.ts): the config's signing key and token lifetime. The e2e suites need tokens
// for their gateways, not another start of the binary per token (~0.5 s of CPU each); the command
// itself is tested through the binary in test/authn/users.test.ts.
import { issueToken, loadOrCreateSigningKey } from '../../authn/index.js';
import { loadConfig } from '../../config/index.js';

export async function tokenFor(configFile: string, uid: string): Promise<string> {
  const config = await loadConfig(configFile);
  const { key } = await loadOrCreateSigningKey(config.authn.signingKey);
  return issueToken(key, uid, config.authn.tokenTtlMs);
}
