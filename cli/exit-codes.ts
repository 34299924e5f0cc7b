// Exit codes of every command (README "Commands"), and the one map from an error's code to the exit
// code: the input was wrong (1), or something went wrong while running (2).
import { GatehouseError } from '../core/index.js';

export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 1;
export const EXIT_RUNTIME_FAILURE = 2;

/** Codes that mean the operator's input (arguments, a config file) must change. */
const EXIT_BY_CODE: ReadonlyMap<string, number> = new Map([
  ['ERR_CLI_USAGE', EXIT_INVALID_INPUT],
  ['ERR_CONFIG_INVALID', EXIT_INVALID_INPUT],
  ['ERR_DNS_CONFIG_INVALID', EXIT_INVALID_INPUT],
  ['ERR_DNS_CONFIG_ZK_UNSUPPORTED', EXIT_INVALID_INPUT],
]);

/** The exit code for an error that ended a command; any code not in the map is a runtime failure. */
export function exitCodeFor(error: unknown): number {
  return (error instanceof GatehouseError && EXIT_BY_CODE.get(error.code)) || EXIT_RUNTIME_FAILURE;
}
