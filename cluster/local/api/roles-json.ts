// Roles and what each holds, as Mesos's `GET /roles` (the JSON `dcos quota list` reads) and the
// operator API's GET_ROLES report them. A role is known when a framework is subscribed to it or a
// task's resources are allocated to it; the embedded master sets no quota, so every limit is empty
// ("No limit" in the CLI) and `consumed` is what the role's tasks hold.
import type { LocalMaster } from '../master/master.js';
import { addResources, NO_RESOURCES, type Resources } from '../master/resources.js';
import { resourceList, taskRole } from './operator-json.js';

const DEFAULT_ROLE = '*';

interface RoleHoldings {
  readonly name: string;
  readonly frameworks: Set<string>;
  allocated: Resources;
  offered: Resources;
}

export function roleHoldings(master: LocalMaster): RoleHoldings[] {
  const roles = new Map<string, RoleHoldings>();
  const role = (name: string): RoleHoldings => {
    let found = roles.get(name);
    if (!found) roles.set(name, (found = { name, frameworks: new Set(), allocated: NO_RESOURCES, offered: NO_RESOURCES }));
    return found;
  };
  for (const framework of master.frameworks()) {
    // Frameworks subscribe to the default role; offers go to it.
    role(DEFAULT_ROLE).frameworks.add(framework.id);
    for (const task of framework.tasks.values()) {
      const holder = role(taskRole(task));
      holder.frameworks.add(framework.id);
      holder.allocated = addResources(holder.allocated, task.launch.resources);
    }
  }
  if (roles.has(DEFAULT_ROLE)) {
    const holder = role(DEFAULT_ROLE);
    for (const agent of master.agents()) holder.offered = addResources(holder.offered, master.offeredOn(agent.id));
  }
  return [...roles.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Scalar quantities as Mesos's role JSON writes them: `{cpus: 0.5, mem: 128}`, kinds held only. */
function quantities(r: Resources): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['cpus', 'mem', 'disk'] as const) if (r[name] > 0) out[name] = r[name];
  return out;
}

/** `GET /roles` (and `/master/roles`). */
export function rolesJson(master: LocalMaster): Record<string, unknown> {
  return {
    roles: roleHoldings(master).map((r) => ({
      name: r.name,
      weight: 1.0,
      quota: { role: r.name, guarantee: {}, limit: {}, consumed: quantities(r.allocated) },
      resources: quantities(addResources(r.allocated, r.offered)),
      allocated: quantities(r.allocated),
      offered: quantities(r.offered),
      reserved: {},
      frameworks: [...r.frameworks],
    })),
  };
}

/** GET_ROLES: Mesos fills `resources` with the scalar quantities allocated and offered. */
export function getRoles(master: LocalMaster): Record<string, unknown> {
  return {
    roles: roleHoldings(master).map((r) => ({
      name: r.name,
      weight: 1.0,
      frameworks: [...r.frameworks].map((value) => ({ value })),
      resources: resourceList({ ...addResources(r.allocated, r.offered), ports: [] }),
    })),
  };
}
