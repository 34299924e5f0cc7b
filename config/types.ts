// The validated, defaulted and frozen shape of `gatehouse.yaml` (README "Configuration").
// Durations are in milliseconds; listen addresses are split into host and port.

export interface ListenAddress {
  readonly host: string;                   // IPv6 without brackets
  readonly port: number;                   // 0 = ephemeral (tests)
}

export interface LocalClusterConfig {
  readonly apps: string;                   // absolute path
  /** Copied into `apps` when that directory does not exist yet (the demo's first start); absolute. */
  readonly seedApps: string | null;
  readonly agents: number;
  readonly workDir: string;                // absolute path
  readonly http: ListenAddress;
  /** The agents' address in the state and DNS; null (`auto`): http's host, or for a wildcard this machine's first non-loopback address. */
  readonly advertise: string | null;
  /** Cluster name shown in the master's state (`cluster`) and by DC/OS tools. */
  readonly name: string;
  /** What each agent offers; `ports` is the host's range (e.g. `31000-32000`), split between agents. */
  readonly resources: { readonly cpus: number; readonly mem: number; readonly disk: number; readonly ports: string };
  /** `auto`: namespaces and cgroups where the host allows them; `none`: plain child processes. */
  readonly isolation: 'auto' | 'none';
}

export interface MesosClusterConfig {
  readonly masters: readonly string[];     // base URLs, e.g. http://10.0.0.1:5050
  readonly marathon: string | null;
  readonly refreshMs: number;
  readonly timeoutMs: number;
}

export interface FileClusterConfig {
  readonly path: string;                   // absolute path
}

export interface ClusterConfig {
  readonly source: 'local' | 'mesos' | 'file';
  readonly local: LocalClusterConfig;
  readonly mesos: MesosClusterConfig;
  readonly file: FileClusterConfig;
  readonly staleAfterMs: number;
  readonly unusableAfterMs: number;
}

export interface DnsConfig {
  readonly enabled: boolean;
  readonly listen: ListenAddress;
  readonly domain: string;                 // lower case, no trailing dot
  readonly ttl: number;                    // seconds
  readonly resolvers: readonly ListenAddress[]; // port defaults to 53
  readonly resolverTimeoutMs: number;
  readonly http: ListenAddress | null;     // null = disabled
  readonly ipSources: readonly ('netinfo' | 'docker' | 'mesos' | 'host')[];
  readonly enforceRFC952: boolean;
  /** Publish only tasks whose health is not `unhealthy` (beyond Mesos-DNS; default false). */
  readonly healthyOnly: boolean;
  /** Processes answering DNS (`auto` is resolved to the cores the cgroup allows); 1 = in the main process. */
  readonly workers: number;
}

export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
}

export interface GatewayConfig {
  readonly enabled: boolean;
  readonly listen: ListenAddress;
  readonly tls: TlsConfig | null;
  readonly routes: string;                 // absolute path of the routes directory
  readonly workers: number;                // processes serving the gateway; `auto` is resolved to the cores
  readonly maxBodySize: number;            // bytes; larger request bodies get 413
  readonly maxHeaderSize: number;          // bytes of request line + headers; more gets 431
  readonly shutdownTimeoutMs: number;      // how long in-flight requests may finish on SIGTERM
  readonly bodyTimeoutMs: number;          // longest wait for the next bytes of a request body (nginx client_body_timeout)
  readonly discardBodyTimeoutMs: number;   // after an answer given before its request body arrived: how long the rest is read and dropped
  readonly discardBodySize: number;        // … and how many bytes of it; past either the connection is closed
  readonly maxConnectionsPerAddress: number; // open connections from one client address, per gateway process; more are closed at once
  readonly engine: 'lean' | 'node';        // lean: Node's parser + a lean hot path (gateway/http1); node: node:http
  readonly accept: 'shared' | 'round-robin'; // with workers: each accepts from the shared socket, or the primary hands connections out in turn
  readonly accessLog: AccessLogConfig;
  /** Who may run commands in tasks (`dcos task exec`); default `{}`: any authenticated user, as open DC/OS. */
  readonly exec: { readonly allow: { readonly uid?: readonly string[]; readonly groups?: readonly string[] } };
}

export interface AccessLogConfig {
  readonly enabled: boolean;               // one line per request, written asynchronously in batches
  readonly sample: number;                 // share of successful (< 400) requests logged, 0..1; failures are always logged
  readonly bufferBytes: number;            // lines waiting for a slow or stalled stdout; past this they are dropped and counted
}

export interface TrustedIssuer {
  readonly jwks?: string;
  readonly publicKey?: string;             // absolute path
  readonly issuer?: string;
  readonly audience?: string;
  /** jwks only: a token with an unknown kid refetches the key set at most once per this long. */
  readonly refetchCooldownMs?: number;
}

export interface AuthnConfig {
  readonly enabled: boolean;
  readonly signingKey: string;             // absolute path
  readonly users: string;                  // absolute path
  readonly tokenTtlMs: number;
  /** Members may read the gateway's route list with its upstream URLs (`/gatehouse/v1/routes`). */
  readonly adminGroup: string;
  readonly trust: readonly TrustedIssuer[];
}

/** The layer-4 load balancer behind VIPs (mesh/). */
export interface MeshConfig {
  readonly enabled: boolean;
  /** IPv4 CIDR named VIPs get their addresses from, e.g. `127.11.0.0/16`. */
  readonly vipRange: string;
  /** A link made for the VIP addresses outside 127.0.0.0/8 (e.g. `minuteman`; needs CAP_NET_ADMIN), or null. */
  readonly interface: string | null;
  readonly balance: 'round-robin' | 'least-connections';
  readonly connectTimeoutMs: number;       // a backend's connect taking longer counts as failed (retried elsewhere)
  readonly failureBackoffMs: number;       // how long a failed backend gets no new connections
  readonly drainTimeoutMs: number;         // connections to a task that left are cut after this long (0: never)
  readonly workers: number;                // processes accepting VIP connections (1: the main one); `auto` is resolved to the cores
}

export interface LogConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

export interface GatehouseConfig {
  /** Absolute path of the file this was read from (null for built-in defaults). */
  readonly file: string | null;
  readonly cluster: ClusterConfig;
  readonly dns: DnsConfig;
  readonly gateway: GatewayConfig;
  readonly authn: AuthnConfig;
  readonly mesh: MeshConfig;
  readonly log: LogConfig;
}
