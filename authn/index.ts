// The authentication area: what other areas may import.
export { AuthnError, type AuthnErrorCode } from './errors.js';
export { extractToken, AUTH_COOKIE, MAX_TOKEN_BYTES, type ExtractedToken } from './token-extraction.js';
export { loadOrCreateSigningKey, type LoadedSigningKey, type SigningKey } from './signing-key.js';
export { loadTrustedIssuers, staticKeyFromPem, algorithmOf, ALGORITHMS, type Algorithm, type StaticKey, type RemoteIssuer } from './trusted-keys.js';
export { TokenVerifier, LEEWAY_SECONDS, type Caller, type TokenVerifierOptions } from './verifier.js';
export { issueToken, OWN_ISSUER } from './token-issuer.js';
export {
  parseUsers,
  loadUsers,
  addOrUpdateUser,
  removeUser,
  uidProblem,
  passwordProblem,
  UID_RULE,
  MIN_PASSWORD_LENGTH,
  bootstrapAdmin,
  verifyPassword,
  type UsersFile,
  type User,
  type ServiceAccount,
} from './users.js';
export { hashPassword, checkPassword } from './password-hash.js';
export { decide, type AllowRule, type Decision } from './policy.js';
export { login, type LoginAnswer, type LoginContext, type LoginRequest } from './login.js';
export { LoginLimiter, type LoginLimiterOptions } from './login-limiter.js';
