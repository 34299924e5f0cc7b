// CoalescedPass: one pass at a time; calls during a pass earn exactly one more pass; errors reach callers.
import { expect, test } from 'vitest';
import { CoalescedPass } from '../../core/index.js';

test('calls during a pass coalesce into one more pass, which sees the newest state', async () => {
  let state = 0;
  const seen: number[] = [];
  let release!: () => void;
  const pass = new CoalescedPass(async () => {
    const now = state;
    if (seen.length === 0) await new Promise<void>((resolve) => (release = resolve));
    seen.push(now);
  });
  const first = pass.run();
  state = 1;
  const second = pass.run();
  state = 2;
  const third = pass.run();
  expect(second).toBe(first);
  expect(third).toBe(first);
  release();
  await first;
  expect(seen).toEqual([0, 2]);
  expect(pass.running).toBeNull();
});

test('a failing pass rejects its callers and the next call runs again', async () => {
  let fail = true;
  const pass = new CoalescedPass(async () => {
    if (fail) throw new Error('unreadable');
  });
  await expect(pass.run()).rejects.toThrow('unreadable');
  fail = false;
  await expect(pass.run()).resolves.toBeUndefined();
});
