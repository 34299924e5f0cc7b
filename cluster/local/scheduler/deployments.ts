// Marathon's deployments for the embedded scheduler: every change of an app (added, scaled, changed,
// restarted, removed) is a one-step deployment that stays listed in `/v2/deployments` until the app
// has reached it (all tasks of the new version running, and healthy where checked; or all gone), with
// the event stream's `deployment_info`, `deployment_step_success`, `deployment_success` and, for a
// deployment superseded or stopped before it finished, `deployment_failed`.
import { randomUUID } from 'node:crypto';
import type { MarathonAppJson } from '../apps/app-json.js';
import type { AppState } from './app-state.js';

export type DeploymentAction = 'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication';

export interface Deployment {
  readonly id: string;
  /** The version the app is deployed to (for a removal, the time of the removal). */
  readonly version: string;
  readonly appId: string;
  readonly action: DeploymentAction;
  /** The definition before (null: the app is new) and after (null: the app is removed), for a rollback. */
  readonly original: MarathonAppJson | null;
  readonly target: MarathonAppJson | null;
}

export type EmitEvent = (eventType: string, fields: Record<string, unknown>) => void;

export class Deployments {
  readonly #emit: EmitEvent;
  readonly #active = new Map<string, Deployment>();
  /** The most recent deployment of each app, running or done: what a write through the API answers with. */
  readonly #latest = new Map<string, Deployment>();

  constructor(emit: EmitEvent) {
    this.#emit = emit;
  }

  /** Starts a deployment of one app; one still running for that app is superseded (Marathon's forced deployment). */
  start(appId: string, action: DeploymentAction, version: string, original: MarathonAppJson | null, target: MarathonAppJson | null): Deployment {
    const running = this.forApp(appId);
    if (running) this.#fail(running, 'superseded by a newer deployment of the app');
    const deployment: Deployment = { id: randomUUID(), version, appId, action, original, target };
    this.#active.set(deployment.id, deployment);
    this.#latest.set(appId, deployment);
    this.#emit('deployment_info', { plan: planJson(deployment), currentStep: stepJson(deployment) });
    return deployment;
  }

  /** A deployment with nothing to do (the app already is as asked): Marathon answers one all the same. */
  done(appId: string, action: DeploymentAction, version: string, definition: MarathonAppJson | null): Deployment {
    const deployment = this.start(appId, action, version, definition, definition);
    this.settle((d) => d === deployment);
    return deployment;
  }

  /** Finishes every running deployment that `reached` says the app has reached. */
  settle(reached: (deployment: Deployment) => boolean): void {
    for (const deployment of [...this.#active.values()]) {
      if (!reached(deployment)) continue;
      this.#active.delete(deployment.id);
      this.#emit('deployment_step_success', { plan: planJson(deployment), currentStep: stepJson(deployment) });
      this.#emit('deployment_success', { id: deployment.id, plan: planJson(deployment) });
    }
  }

  /** Stops following a deployment without rolling it back (`DELETE /v2/deployments/<id>?force=true`). */
  stop(id: string): Deployment | null {
    const deployment = this.#active.get(id);
    if (deployment) this.#fail(deployment, 'stopped');
    return deployment ?? null;
  }

  list(): readonly Deployment[] {
    return [...this.#active.values()];
  }

  get(id: string): Deployment | null {
    return this.#active.get(id) ?? null;
  }

  forApp(appId: string): Deployment | null {
    return [...this.#active.values()].find((d) => d.appId === appId) ?? null;
  }

  latestFor(appId: string): Deployment | null {
    return this.#latest.get(appId) ?? null;
  }

  #fail(deployment: Deployment, reason: string): void {
    this.#active.delete(deployment.id);
    this.#emit('deployment_failed', { id: deployment.id, plan: planJson(deployment), reason });
  }
}

/** Whether the app has reached the deployment: exactly its instances of the version, running and healthy where checked (or, removed, gone). */
export function reached(app: AppState | undefined, deployment: Deployment): boolean {
  if (deployment.action === 'StopApplication') return app === undefined || (app.removed && app.tasks.size === 0);
  if (!app || app.removed || app.definition.version !== deployment.version) return false;
  const checked = app.definition.healthChecks.length > 0;
  const tasks = [...app.tasks.values()];
  return (
    tasks.length === app.definition.instances &&
    tasks.every(
      (t) =>
        t.version === deployment.version && !t.killRequested && t.state === 'TASK_RUNNING' && (!checked || (t.health?.healthy ?? false)),
    )
  );
}

/** One element of `GET /v2/deployments`, as Marathon's DeploymentStepInfo. */
export function deploymentJson(deployment: Deployment): Record<string, unknown> {
  return {
    id: deployment.id,
    version: deployment.version,
    affectedApps: [deployment.appId],
    affectedPods: [],
    steps: [stepJson(deployment)],
    currentActions: [{ action: deployment.action, app: deployment.appId, readinessCheckResults: [] }],
    currentStep: 1,
    totalSteps: 1,
  };
}

function stepJson(deployment: Deployment): Record<string, unknown> {
  return { actions: [{ action: deployment.action, app: deployment.appId }] };
}

function planJson(deployment: Deployment): Record<string, unknown> {
  return { id: deployment.id, version: deployment.version, steps: [stepJson(deployment)], original: deployment.original, target: deployment.target };
}
