// The scheduler's view of its apps and tasks, shared with the Marathon API's JSON and deployments.
import type { AppDefinition } from '../apps/app-definition.js';
import type { TaskHealth } from './health-checks.js';
import type { Shortfall } from './task-builder.js';
import type { TaskLaunch } from '../master/task-messages.js';

export interface SchedulerTask {
  readonly id: string;
  readonly appId: string;
  version: string;
  readonly launch: TaskLaunch;
  readonly host: string;
  readonly ports: readonly number[];
  readonly stagedAt: number;
  startedAt: number | null;
  state: string;
  killRequested: boolean;
  /** Killed first when the app scales down (`DELETE /v2/apps/<id>/tasks/<task>?scale=true`). */
  killFirst?: boolean;
  health: TaskHealth | null;
}

export interface TaskFailure {
  readonly taskId: string;
  readonly state: string;
  readonly message: string;
  readonly timestamp: string;
  readonly version: string;
  readonly host: string;
}

export interface AppState {
  definition: AppDefinition;
  removed: boolean;
  readonly tasks: Map<string, SchedulerTask>;
  delayUntil: number;
  nextDelayMs: number;
  /** Why instances are missing (resources, backoff), shown by `/v2/queue` and logged when it changes. */
  waiting: string | null;
  rejected: Partial<Record<Shortfall, number>>;
  lastTaskFailure: TaskFailure | null;
}

export type MarathonEvent = { readonly eventType: string; readonly timestamp: string } & Record<string, unknown>;
