// authn.trust[].refetchCooldown: how long a trusted issuer's JWKS is not refetched for unknown kids.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, parseConfig } from '../../config/index.js';

const JWKS = '{ jwks: "https://idp.example/jwks.json", issuer: "https://idp.example/"';
const trustOf = (entry: string) => parseConfig(`authn:\n  trust:\n    - ${entry}\n`, 'g.yaml').authn.trust[0]!;
const problems = (entry: string): string[] => {
  try {
    trustOf(entry);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
};

describe('authn.trust[].refetchCooldown', () => {
  const accepted: { name: string; entry: string; want: number | undefined }[] = [
    { name: 'absent: left to the default (30 s, authn/trusted-keys.ts)', entry: `${JWKS} }`, want: undefined },
    { name: 'a duration string', entry: `${JWKS}, refetchCooldown: 2s }`, want: 2000 },
    { name: 'minutes', entry: `${JWKS}, refetchCooldown: 5m }`, want: 300_000 },
    { name: 'zero: refetch on every unknown kid', entry: `${JWKS}, refetchCooldown: 0s }`, want: 0 },
  ];
  for (const c of accepted) it(c.name, () => expect(trustOf(c.entry).refetchCooldownMs).toBe(c.want));

  const refused: { name: string; entry: string; want: string }[] = [
    { name: 'not a duration', entry: `${JWKS}, refetchCooldown: soon }`, want: 'authn.trust[0].refetchCooldown: must be a duration' },
    { name: 'on a publicKey entry', entry: '{ publicKey: ci.pem, refetchCooldown: 1s }', want: 'authn.trust[0].refetchCooldown: applies to jwks entries only' },
  ];
  for (const c of refused) it(`refused: ${c.name}`, () => expect(problems(c.entry).join('\n')).toContain(c.want));
});
