// Marathon-style app definitions (types; parsing lives beside them).
import type { ConfigProblem } from '../../config/errors.js';

export type HealthCheckProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'COMMAND';
export interface HealthCheckDefinition {
  readonly protocol: HealthCheckProtocol;
  readonly path: string;
  readonly portIndex: number;
  readonly command: string | null;
  readonly gracePeriodSeconds: number;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly maxConsecutiveFailures: number;
  readonly ignoreHttp1xx: boolean;
}
export interface PortDefinition {
  readonly port: number;
  readonly name: string | null;
  readonly protocol: string;
  readonly labels: Readonly<Record<string, string>>;
}
export interface AppDefinition {
  readonly id: string;
  readonly cmd: string | null;
  readonly args: readonly string[] | null;
  readonly instances: number;
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly portDefinitions: readonly PortDefinition[];
  readonly requirePorts: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly healthChecks: readonly HealthCheckDefinition[];
  readonly backoffSeconds: number;
  readonly backoffFactor: number;
  readonly maxLaunchDelaySeconds: number;
  readonly killGracePeriodSeconds: number;
  readonly version: string;
  readonly source: { readonly file: string; readonly line: number; readonly col: number };
}
export interface AppFileStatus {
  readonly file: string;
  readonly status: 'ok' | 'quarantined';
  readonly problems: readonly ConfigProblem[];
  readonly apps: readonly AppDefinition[];
}
