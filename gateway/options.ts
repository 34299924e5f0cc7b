// The gateway's options: one module of its own, so every part of the gateway (the server, the
// pipeline, the public endpoints) reads them without importing the server.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AllowRule, LoginContext, TokenVerifier } from '../authn/index.js';
import type { SnapshotView } from '../cluster/index.js';
import type { ListenAddress } from '../config/index.js';
import type { AccessLineWriter } from './access-log.js';
import type { GatewayStatus } from './gateway-status.js';
import type { ComponentLogSource } from './logs/log-ring.js';
import type { TaskNamer } from './pages.js';
import type { RouteTable } from './route-table.js';

export interface GatewayOptions {
  readonly listen: ListenAddress;
  /** The current snapshot and its status: the store itself, or a mirror of it in a worker process. */
  readonly store: SnapshotView;
  readonly verifier: TokenVerifier;
  readonly login: LoginContext;
  readonly clusterId: string;
  readonly dnsHttp: URL | null;
  readonly marathon: URL | null;
  readonly registry: Registry;
  readonly logger: Logger;
  /**
   * Where access-log lines go (its own, asynchronous logger; null: none), and the share of successful
   * (< 400) requests logged. Without it, lines go to `logger`, every one.
   */
  /** `write`: lines built directly (accessLogLine) instead of through the logger's serialiser (JSON lines only). */
  readonly accessLog?: { readonly logger: Logger | null; readonly sample: number; readonly write?: AccessLineWriter | undefined };
  readonly timeoutMs?: number;
  readonly version: string;
  /** File routes (gateway.routes); absent in tests of the built-ins alone. */
  readonly routes?: RouteTable;
  /** PEM files; when set the gateway serves HTTPS only and login cookies are `Secure`. */
  readonly tls?: { readonly cert: string; readonly key: string } | null;
  /** A task's DNS name when DNS is on, so the dashboard can show it (the gateway does not know DNS's rules). */
  readonly taskName?: TaskNamer | null;
  /** Request bodies above this many bytes get 413 (default 1 GiB, nginx `client_max_body_size 1024M`). */
  readonly maxBodySize?: number;
  /** Request line and headers above this many bytes get 431 (default 32 KiB). */
  readonly maxHeaderSize?: number;
  /** The longest wait for the next bytes of a request body before 408 (default 60 s, nginx `client_body_timeout`). */
  readonly bodyTimeoutMs?: number;
  /** After an answer given before its body arrived, the rest is dropped for at most this long (default 5 s)… */
  readonly discardBodyTimeoutMs?: number;
  /** …and at most this many bytes of it (default 1 MiB); past either the connection is closed. */
  readonly discardBodySize?: number;
  /** Connections one client address may hold open in this process (default 512); more are closed on arrival. */
  readonly maxConnectionsPerAddress?: number;
  /** close(): how long in-flight requests may finish before their connections are cut (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** The `/metrics` text; default: this process's registry (workers ask the primary for all of them). */
  readonly metricsText?: () => Promise<string>;
  /** `GET /gatehouse/v1/status`: the generations each gateway process serves (absent: 404). */
  readonly status?: () => Promise<GatewayStatus>;
  /**
   * `lean` (default): Node's HTTP parser with a lean hot path for proxied requests (gateway/http1);
   * `node`: node:http for everything. Lean falls back to node when Node's parser is not reachable.
   */
  readonly engine?: 'lean' | 'node';
  /** mesh.vipRange when the mesh is on: then `GET /net/v1/vips` lists the VIPs (dcos-net's API). */
  readonly vipRange?: string | null;
  /** Members of this group may read `/gatehouse/v1/routes` (authn.adminGroup; default `admins`). */
  readonly adminGroup?: string;
  /**
   * Who may run commands in tasks (`dcos task exec`: the agent calls that launch, feed, read or kill
   * containers), as a route's `allow` (gateway.exec.allow); default: members of `adminGroup`.
   */
  readonly execAllow?: AllowRule;
  /** Gatehouse's recent log lines for the component logs (`dcos node log --leader`); absent: 404. */
  readonly componentLogs?: ComponentLogSource;
}
