// The file routes currently serving: loaded from `gateway.routes`, watched, rebuilt beside the old
// table on every change (debounced) and swapped by one reference. Lookups are by longest prefix.
// A gateway worker's table does not read the files: it is fed what the primary's table loaded
// (`apply`), with the primary's generation, so that every worker serves the same routes.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { CoalescedPass, DirectoryWatch } from '../core/index.js';
import { loadRouteFiles, type FileRoute, type RouteFileStatus } from './route-files.js';

export class RouteTable {
  #files: ReadonlyMap<string, RouteFileStatus> = new Map();
  #byLength: readonly FileRoute[] = [];
  #watch: DirectoryWatch | null = null;
  readonly #pass = new CoalescedPass(() => this.#reloadOnce());
  readonly #reloads: Counter<'result'>;
  readonly #listeners = new Set<(files: readonly RouteFileStatus[], generation: number) => void>();
  #generation = 0;

  constructor(
    private readonly options: {
      readonly dir: string;
      readonly logger: Logger;
      readonly registry: Registry;
      readonly debounceMs?: number;
      readonly pollMs?: number;
    },
  ) {
    this.#reloads = new Counter({
      name: 'gatehouse_gateway_route_reloads_total',
      help: 'Route file reloads, by result (ok, or with quarantined files)',
      labelNames: ['result'],
      registers: [options.registry],
    });
  }

  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    // Watching starts before the first load, so a save during that load is not missed.
    this.#watch = new DirectoryWatch({
      dir: this.options.dir,
      match: (name) => /\.ya?ml$/.test(name),
      onChange: () => void this.reload(),
      ...(this.options.debounceMs !== undefined ? { debounceMs: this.options.debounceMs } : {}),
      ...(this.options.pollMs !== undefined ? { pollMs: this.options.pollMs } : {}),
      onWatchError: (error) =>
        this.options.logger.warn({ err: error, dir: this.options.dir }, 'watching the route files failed; polling them (stat only)'),
    });
    await this.#watch.start();
    await this.reload();
  }

  close(): void {
    this.#watch?.close();
  }

  /** Re-reads every file; concurrent calls coalesce into one more pass. */
  reload(): Promise<void> {
    return this.#pass.run();
  }

  async #reloadOnce(): Promise<void> {
    const files = await loadRouteFiles(this.options.dir, this.#files);
    const changed = JSON.stringify([...files.values()]) !== JSON.stringify([...this.#files.values()]);
    if (!changed) return;
    const routes = [...files.values()].flatMap((f) => f.routes).sort((a, b) => b.path.length - a.path.length);
    this.#swap(files, this.#generation + 1);
    const broken = [...files.values()].filter((f) => f.status === 'quarantined');
    this.#reloads.inc({ result: broken.length ? 'quarantined' : 'ok' });
    for (const f of broken)
      this.options.logger.error({ file: f.file, errors: f.errors }, 'route file rejected; its last good routes keep serving');
    this.options.logger.info({ routes: routes.length, files: files.size }, 'routes reloaded');
  }

  /** Puts a whole table in place: the files loaded here, or (in a worker) the primary's. */
  #swap(files: ReadonlyMap<string, RouteFileStatus>, generation: number): void {
    this.#files = files;
    this.#byLength = [...files.values()].flatMap((f) => f.routes).sort((a, b) => b.path.length - a.path.length);
    this.#generation = generation;
    for (const listener of this.#listeners) listener(this.files(), generation);
  }

  /** Serves `files` as generation `generation` (a worker's table, fed by the primary's); older generations are ignored. */
  apply(files: readonly RouteFileStatus[], generation: number): void {
    if (generation <= this.#generation) return;
    this.#swap(new Map(files.map((f) => [f.file, f])), generation);
  }

  /** Bumped on every change of the serving routes; a worker's equals its primary's once converged. */
  get generation(): number {
    return this.#generation;
  }

  /** Called with the serving files after every change. */
  subscribe(listener: (files: readonly RouteFileStatus[], generation: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  match(path: string): FileRoute | null {
    for (const route of this.#byLength) if (path.startsWith(route.path) || `${path}/` === route.path) return route;
    return null;
  }

  files(): readonly RouteFileStatus[] {
    return [...this.#files.values()];
  }
}
