// The apps as the scheduler and the Marathon API see them: the app files' definitions, each carrying
// its Marathon version timestamp (from the version history) instead of the content hash. A restart
// is a new version of the same content, so the scheduler replaces every task of the app.
import type { AppDefinition } from './app-definition.js';
import type { AppVersion, AppVersions } from './app-versions.js';

/** Where app definitions come from (the app files, or a test's list). */
export interface AppSupply {
  start(): Promise<void>;
  close(): Promise<void>;
  apps(): readonly AppDefinition[];
  subscribe(listener: (apps: readonly AppDefinition[]) => void): () => void;
}

export class VersionedApps implements AppSupply {
  readonly inner: AppSupply;
  readonly versions: AppVersions;
  readonly #listeners = new Set<(apps: readonly AppDefinition[]) => void>();
  #apps: readonly AppDefinition[] = [];
  #unsubscribe: (() => void) | null = null;

  constructor(inner: AppSupply, versions: AppVersions) {
    this.inner = inner;
    this.versions = versions;
  }

  async start(): Promise<void> {
    await this.inner.start();
    this.#rebuild(true);
    this.#unsubscribe = this.inner.subscribe(() => this.#rebuild(false));
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#listeners.clear();
    await this.inner.close();
    await this.versions.flush();
  }

  apps(): readonly AppDefinition[] {
    return this.#apps;
  }

  subscribe(listener: (apps: readonly AppDefinition[]) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The newest version of an app (its timestamp, content hash and versionInfo). */
  current(appId: string): AppVersion | null {
    return this.#apps.some((a) => a.id === appId) ? this.versions.latest(appId) : null;
  }

  /** Marathon's restart: a new version of the same definition, so every task is replaced. */
  restart(appId: string): AppVersion | null {
    if (!this.#apps.some((a) => a.id === appId)) return null;
    const bumped = this.versions.bump(appId);
    this.#rebuild(false);
    return bumped;
  }

  #rebuild(initial: boolean): void {
    const before = new Set(this.#apps.map((a) => a.id));
    const next = this.inner.apps().map((app) => Object.freeze({ ...app, version: this.versions.versionOf(app).version }));
    const now = new Set(next.map((a) => a.id));
    // A removed app loses its history, as in Marathon (a file removed while Gatehouse was down leaves
    // its history behind, unused, until an app of that id is defined again).
    for (const id of before) if (!now.has(id)) this.versions.forget(id);
    this.#apps = Object.freeze(next);
    if (initial) return;
    for (const listener of this.#listeners) listener(this.#apps);
  }
}
