// Marathon's version history of each app, kept in the work dir so that `/v2/apps/<id>/versions` and
// rollbacks survive a restart. A version is Marathon's timestamp (`2026-01-02T03:04:05.678Z`); a new
// one is made whenever an app's content changes (from its file or through the API) and by a restart.
// The app files stay the source of truth: this is only their history.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { AppDefinition } from './app-definition.js';
import { definitionJson, type MarathonAppJson } from './app-json.js';

/** Marathon keeps this many versions per app by default (`--max_versions`). */
export const MAX_VERSIONS = 50;

export interface AppVersion {
  /** Marathon's version timestamp. */
  readonly version: string;
  /** Content hash of the normalised definition (AppDefinition.version as parsed from the file). */
  readonly hash: string;
  /** Marathon's versionInfo.lastConfigChangeAt: a scale keeps the previous one. */
  readonly lastConfigChangeAt: string;
  readonly definition: MarathonAppJson;
}

interface StoredFile {
  readonly format: 'gatehouse-app-versions/1';
  readonly apps: Record<string, AppVersion[]>;
}

export class AppVersions {
  readonly #file: string;
  readonly #logger: Logger;
  /** Oldest first. */
  readonly #apps = new Map<string, AppVersion[]>();
  #saving: Promise<void> = Promise.resolve();

  private constructor(file: string, logger: Logger) {
    this.#file = file;
    this.#logger = logger;
  }

  /** Reads the history (none yet is fine; an unreadable one is logged and started afresh, never fatal). */
  static async load(file: string, logger: Logger): Promise<AppVersions> {
    const store = new AppVersions(file, logger);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : error));
    if (text instanceof Error) logger.warn({ file, err: text }, 'app version history unreadable; starting a new one');
    else if (text !== null) {
      try {
        const stored = JSON.parse(text) as StoredFile;
        if (stored.format !== 'gatehouse-app-versions/1' || typeof stored.apps !== 'object') throw new Error(`unknown format ${String(stored.format)}`);
        for (const [id, versions] of Object.entries(stored.apps)) if (Array.isArray(versions) && versions.length) store.#apps.set(id, versions);
      } catch (error) {
        logger.warn({ file, err: error }, 'app version history is not valid JSON of this version; starting a new one');
      }
    }
    return store;
  }

  /** The version of this definition: the newest one if its content is the same, else a new one. */
  versionOf(app: AppDefinition): AppVersion {
    const history = this.#apps.get(app.id) ?? [];
    const newest = history.at(-1);
    if (newest && newest.hash === app.version) return newest;
    const version = nextTimestamp(newest?.version);
    const definition = definitionJson(app);
    const scaleOnly = newest !== undefined && sameExceptInstances(newest.definition, definition);
    return this.#append(app.id, { version, hash: app.version, lastConfigChangeAt: scaleOnly ? newest.lastConfigChangeAt : version, definition });
  }

  /** A new version of the same content, as Marathon's restart makes: every task is replaced. */
  bump(appId: string): AppVersion | null {
    const newest = this.#apps.get(appId)?.at(-1);
    if (!newest) return null;
    const version = nextTimestamp(newest.version);
    return this.#append(appId, { ...newest, version, lastConfigChangeAt: version });
  }

  /** An app that is gone loses its history, as in Marathon. */
  forget(appId: string): void {
    if (this.#apps.delete(appId)) this.#save();
  }

  /** Newest first, as Marathon lists them (and as the DC/OS CLI reads them: index N is N versions back). */
  list(appId: string): readonly AppVersion[] {
    return [...(this.#apps.get(appId) ?? [])].reverse();
  }

  latest(appId: string): AppVersion | null {
    return this.#apps.get(appId)?.at(-1) ?? null;
  }

  /** The version at this instant (any ISO-8601 spelling of it). */
  find(appId: string, at: Date): AppVersion | null {
    return this.#apps.get(appId)?.find((v) => Date.parse(v.version) === at.getTime()) ?? null;
  }

  /** Resolves once everything recorded so far is on disk. */
  flush(): Promise<void> {
    return this.#saving;
  }

  #append(appId: string, entry: AppVersion): AppVersion {
    const history = [...(this.#apps.get(appId) ?? []), entry].slice(-MAX_VERSIONS);
    this.#apps.set(appId, history);
    this.#save();
    return entry;
  }

  /** Writes the whole history (it is small) beside the old one and renames it over, one write at a time. */
  #save(): void {
    const text = JSON.stringify({ format: 'gatehouse-app-versions/1', apps: Object.fromEntries(this.#apps) } satisfies StoredFile);
    this.#saving = this.#saving.then(async () => {
      const temp = `${this.#file}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dirname(this.#file), { recursive: true });
        await writeFile(temp, text, { mode: 0o600 });
        await rename(temp, this.#file);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        this.#logger.error({ file: this.#file, err: error }, 'app version history not saved; versions and rollbacks of this run are lost at a restart');
      }
    });
  }
}

/** Now, in Marathon's form, but always after `previous` (two changes within a millisecond stay ordered). */
export function nextTimestamp(previous: string | undefined): string {
  const after = previous === undefined ? 0 : Date.parse(previous) + 1;
  return new Date(Math.max(Date.now(), after)).toISOString();
}

function sameExceptInstances(a: MarathonAppJson, b: MarathonAppJson): boolean {
  return JSON.stringify({ ...a, instances: 0 }) === JSON.stringify({ ...b, instances: 0 });
}
