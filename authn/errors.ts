// Errors of the authentication area. Codes are stable: the gateway maps them to 401/403 bodies.
import { GatehouseError } from '../core/index.js';

export type AuthnErrorCode =
  | 'ERR_AUTHN_TOKEN_MISSING'
  | 'ERR_AUTHN_TOKEN_MALFORMED'
  | 'ERR_AUTHN_TOKEN_TOO_LARGE'
  | 'ERR_AUTHN_TOKEN_EXPIRED'
  | 'ERR_AUTHN_TOKEN_NOT_YET_VALID'
  | 'ERR_AUTHN_ALGORITHM_REJECTED'
  | 'ERR_AUTHN_SIGNATURE_INVALID'
  | 'ERR_AUTHN_KEY_UNKNOWN'
  | 'ERR_AUTHN_CLAIM_MISSING'
  | 'ERR_AUTHN_ISSUER_MISMATCH'
  | 'ERR_AUTHN_AUDIENCE_MISMATCH'
  | 'ERR_AUTHN_KEY_FILE'
  | 'ERR_AUTHN_OPTIONS'
  | 'ERR_AUTHN_USERS_FILE';

export class AuthnError extends GatehouseError {
  declare readonly code: AuthnErrorCode;

  constructor(code: AuthnErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
