// A route's `allow` rule against the caller, case by case: who passes, who is refused, and the reason
// the 403 names (it says what the route requires, so a refused user knows whom to ask).
import { describe, expect, it } from 'vitest';
import { decide, type AllowRule } from '../../authn/policy.js';

const alice = { uid: 'alice', groups: ['ops', 'dev'] };
const bob = { uid: 'bob', groups: [] };

const cases: { name: string; caller: { uid: string; groups: string[] }; allow: AllowRule | undefined; want: ReturnType<typeof decide> }[] = [
  { name: 'no rule: everyone with a token', caller: bob, allow: undefined, want: { allowed: true } },
  { name: 'an empty rule is no rule', caller: bob, allow: {}, want: { allowed: true } },
  { name: 'empty lists are no rule', caller: bob, allow: { uid: [], groups: [] }, want: { allowed: true } },
  { name: 'the uid listed', caller: alice, allow: { uid: ['carol', 'alice'] }, want: { allowed: true } },
  { name: 'one of the groups listed', caller: alice, allow: { groups: ['admins', 'dev'] }, want: { allowed: true } },
  { name: 'uid or group: the group suffices', caller: alice, allow: { uid: ['carol'], groups: ['ops'] }, want: { allowed: true } },
  { name: 'uid or group: the uid suffices', caller: bob, allow: { uid: ['bob'], groups: ['ops'] }, want: { allowed: true } },
  {
    name: 'a uid not listed',
    caller: bob,
    allow: { uid: ['alice', 'carol'] },
    want: { allowed: false, reason: 'bob is not allowed here (requires uid alice, carol)' },
  },
  {
    name: 'no group in common',
    caller: alice,
    allow: { groups: ['admins', 'sre'] },
    want: { allowed: false, reason: 'alice is not allowed here (requires group admins, sre)' },
  },
  {
    name: 'neither the uid nor a group',
    caller: bob,
    allow: { uid: ['alice'], groups: ['ops'] },
    want: { allowed: false, reason: 'bob is not allowed here (requires uid alice or group ops)' },
  },
  {
    name: 'an empty uid list next to groups names only the groups',
    caller: bob,
    allow: { uid: [], groups: ['ops'] },
    want: { allowed: false, reason: 'bob is not allowed here (requires group ops)' },
  },
  {
    name: 'an empty group list next to uids names only the uids',
    caller: alice,
    allow: { uid: ['bob'], groups: [] },
    want: { allowed: false, reason: 'alice is not allowed here (requires uid bob)' },
  },
  { name: 'a uid is not a group', caller: { uid: 'ops', groups: [] }, allow: { groups: ['ops'] }, want: expect.objectContaining({ allowed: false }) },
  { name: 'a group is not a uid', caller: { uid: 'x', groups: ['alice'] }, allow: { uid: ['alice'] }, want: expect.objectContaining({ allowed: false }) },
];

describe('decide(caller, allow)', () => {
  it.each(cases)('$name', ({ caller, allow, want }) => {
    expect(decide(caller, allow)).toEqual(want);
  });
});
