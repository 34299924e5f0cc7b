// Marathon's group tree (`/v2/groups`), built from the app ids: `/tools/web` lives in the group
// `/tools`, which lives in the root group `/`. `dcos quota list` matches top-level group ids with
// Mesos roles; `dcos marathon group list` walks the tree.
import type { AppState } from '../scheduler/scheduler.js';

export interface GroupNode {
  readonly id: string;
  readonly apps: AppState[];
  readonly groups: Map<string, GroupNode>;
}

export function groupTree(apps: readonly AppState[]): GroupNode {
  const root: GroupNode = { id: '/', apps: [], groups: new Map() };
  for (const app of apps) {
    const segments = app.definition.id.split('/').filter(Boolean).slice(0, -1);
    let node = root;
    for (let i = 0; i < segments.length; i++) {
      const id = `/${segments.slice(0, i + 1).join('/')}`;
      let child = node.groups.get(id);
      if (!child) {
        child = { id, apps: [], groups: new Map() };
        node.groups.set(id, child);
      }
      node = child;
    }
    node.apps.push(app);
  }
  return root;
}

export function findGroup(root: GroupNode, id: string): GroupNode | null {
  if (id === '/') return root;
  for (const child of root.groups.values()) {
    if (child.id === id) return child;
    if (id.startsWith(`${child.id}/`)) return findGroup(child, id);
  }
  return null;
}

/**
 * A group as Marathon's GroupInfo: apps (rendered by `app`), nested groups, no pods, no dependencies;
 * its version is the newest of its apps' (or `fallbackVersion` for an empty root). `enforceRole` is
 * only on top-level groups, as in Marathon.
 */
export function groupJson(group: GroupNode, app: (a: AppState) => Record<string, unknown>, fallbackVersion: string): Record<string, unknown> {
  const depth = group.id === '/' ? 0 : group.id.split('/').length - 1;
  const groups = [...group.groups.values()].sort((a, b) => a.id.localeCompare(b.id)).map((g) => groupJson(g, app, fallbackVersion));
  const versions = [...group.apps.map((a) => a.definition.version), ...groups.map((g) => String(g['version']))].sort();
  return {
    id: group.id,
    apps: group.apps.map(app),
    groups,
    pods: [],
    dependencies: [],
    version: versions.at(-1) ?? fallbackVersion,
    ...(depth === 1 ? { enforceRole: false } : {}),
  };
}
