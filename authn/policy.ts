// A route's `allow` (uids, groups) against the caller: allowed, or refused with a reason for the 403.
export interface AllowRule {
  readonly uid?: readonly string[];
  readonly groups?: readonly string[];
}

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export function decide(caller: { readonly uid: string; readonly groups: readonly string[] }, allow: AllowRule | undefined): Decision {
  if (!allow || (!allow.uid?.length && !allow.groups?.length)) return { allowed: true };
  if (allow.uid?.includes(caller.uid)) return { allowed: true };
  if (allow.groups?.some((g) => caller.groups.includes(g))) return { allowed: true };
  const wanted = [
    ...(allow.uid?.length ? [`uid ${allow.uid.join(', ')}`] : []),
    ...(allow.groups?.length ? [`group ${allow.groups.join(', ')}`] : []),
  ].join(' or ');
  return { allowed: false, reason: `${caller.uid} is not allowed here (requires ${wanted})` };
}
