// The login limiter's own edges, found unchecked by mutation testing (TESTING.md): the window's exact
// end, the bounded tables (which entry makes room), an attempt settled twice, a success resetting its
// (uid, address) pair, the slow-down's options and defaults, the IPv6 /64 key, and the sweeper timer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addressKey, LoginLimiter, type Admission, type LoginLimiterOptions } from '../../authn/login-limiter.js';

/** A limiter on a clock the test moves; closed after each test. */
function limiterAt(options: LoginLimiterOptions, start = 1_000_000) {
  const clock = { now: start };
  const limiter = new LoginLimiter({ ...options, now: () => clock.now });
  opened.push(limiter);
  return { limiter, clock };
}
const opened: LoginLimiter[] = [];
afterEach(() => {
  for (const limiter of opened.splice(0)) limiter.close();
  vi.useRealTimers();
});

function admitted(admission: Admission): Extract<Admission, { admitted: true }> {
  if (!admission.admitted) throw new Error(`refused, retry after ${admission.retryAfter} s`);
  return admission;
}
const fail = (limiter: LoginLimiter, uid: string, address: string) => admitted(limiter.admit(uid, address)).settle(false);

describe('LoginLimiter window', () => {
  it('a full (uid, address) is refused until the last millisecond of its window and admitted exactly at its end', () => {
    const { limiter, clock } = limiterAt({ windowMs: 10_000, maxFailuresPerUidAddress: 2 });
    const start = clock.now;
    fail(limiter, 'bob', '10.0.0.1');
    fail(limiter, 'bob', '10.0.0.1');
    clock.now = start + 9_999;
    expect(limiter.admit('bob', '10.0.0.1')).toEqual({ admitted: false, retryAfter: 1 });
    clock.now = start + 10_000;
    expect(limiter.admit('bob', '10.0.0.1').admitted).toBe(true);
  });

  // The uid's slow-down reads its failures without touching them; they too end with the window.
  const slowdownCases: { name: string; after: number; delay: number }[] = [
    { name: 'inside the window: delayed', after: 59_999, delay: 100 },
    { name: 'exactly at the window end: not delayed', after: 60_000, delay: 0 },
    { name: 'after the window: not delayed', after: 90_000, delay: 0 },
  ];
  for (const c of slowdownCases) {
    it(`uid slow-down ${c.name}`, () => {
      const { limiter, clock } = limiterAt({ windowMs: 60_000, slowdownAfter: 1, slowdownBaseMs: 100, slowdownMaxMs: 1000 });
      const start = clock.now;
      fail(limiter, 'admin', '10.0.0.1');
      clock.now = start + c.after;
      expect(admitted(limiter.admit('admin', '10.0.0.2')).delayMs).toBe(c.delay);
    });
  }
});

describe('LoginLimiter slow-down options', () => {
  const cases: { name: string; options: LoginLimiterOptions; delays: number[] }[] = [
    { name: 'defaults: after 5 failures, 250 ms doubling up to 2 s', options: {}, delays: [0, 0, 0, 0, 0, 250, 500, 1000, 2000, 2000] },
    {
      name: 'set: after 2 failures, 100 ms doubling up to 300 ms',
      options: { slowdownAfter: 2, slowdownBaseMs: 100, slowdownMaxMs: 300 },
      delays: [0, 0, 100, 200, 300, 300, 300, 300, 300, 300],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { limiter } = limiterAt(c.options);
      const delays: number[] = [];
      for (let i = 0; i < 10; i++) {
        const admission = admitted(limiter.admit('admin', `10.0.0.${i}`));
        delays.push(admission.delayMs);
        admission.settle(false);
      }
      expect(delays).toEqual(c.delays);
    });
  }
});

describe('LoginLimiter settling', () => {
  // settle() runs once: a second call (a failure reported twice, or a success after a failure) is ignored.
  const twice: { name: string; second: boolean; options: LoginLimiterOptions; check: (limiter: LoginLimiter) => void }[] = [
    {
      name: 'a failure settled twice counts once (the uid is not slowed down after one failure)',
      second: false,
      options: { slowdownAfter: 2, slowdownBaseMs: 100 },
      check: (limiter) => expect(admitted(limiter.admit('bob', '10.0.0.1')).delayMs).toBe(0),
    },
    {
      name: 'a success reported after a failure does not erase the failure',
      second: true,
      options: { maxFailuresPerUidAddress: 1 },
      check: (limiter) => expect(limiter.admit('bob', '10.0.0.1').admitted).toBe(false),
    },
  ];
  for (const c of twice) {
    it(c.name, () => {
      const { limiter } = limiterAt(c.options);
      const attempt = admitted(limiter.admit('bob', '10.0.0.1'));
      attempt.settle(false);
      attempt.settle(c.second);
      c.check(limiter);
    });
  }

  it("a success clears its (uid, address) failures: the next failures start from zero", () => {
    const { limiter } = limiterAt({ maxFailuresPerUidAddress: 2 });
    fail(limiter, 'bob', '10.0.0.1');
    admitted(limiter.admit('bob', '10.0.0.1')).settle(true);
    fail(limiter, 'bob', '10.0.0.1');
    expect(limiter.admit('bob', '10.0.0.1').admitted).toBe(true);
  });
});

describe('LoginLimiter bounded tables', () => {
  it('a full table forgets its oldest idle entry to make room', () => {
    const { limiter } = limiterAt({ maxEntries: 1, maxFailuresPerUidAddress: 1 });
    fail(limiter, 'bob', '10.0.0.1');
    expect(limiter.admit('bob', '10.0.0.1').admitted).toBe(false);
    admitted(limiter.admit('alice', '10.0.0.2')).settle(true);
    expect(limiter.admit('bob', '10.0.0.1').admitted).toBe(true);
  });

  it('an entry with an attempt in flight is never evicted, even from a full table', () => {
    const { limiter } = limiterAt({ maxEntries: 1, maxFailuresPerUidAddress: 1 });
    admitted(limiter.admit('bob', '10.0.0.1'));
    admitted(limiter.admit('alice', '10.0.0.2')).settle(true);
    expect(limiter.admit('bob', '10.0.0.1')).toEqual({ admitted: false, retryAfter: 1 });
  });

  it('an expired entry with an attempt in flight is not swept: the attempt still counts', () => {
    const { limiter, clock } = limiterAt({ windowMs: 1000, maxEntries: 2, maxFailuresPerUidAddress: 1 });
    const start = clock.now;
    admitted(limiter.admit('bob', '10.0.0.1')); // never settled
    fail(limiter, 'amy', '10.0.0.2');
    clock.now = start + 1000; // both windows over: the full table is swept for carol
    admitted(limiter.admit('carol', '10.0.0.3')).settle(true);
    expect(limiter.admit('bob', '10.0.0.1')).toEqual({ admitted: false, retryAfter: 1 });
  });

  it('expired entries make room before an older idle entry with live failures is evicted', () => {
    const { limiter, clock } = limiterAt({ windowMs: 1000, maxEntries: 2, maxFailuresPerUidAddress: 1 });
    const start = clock.now;
    fail(limiter, 'bob', '10.0.0.1'); // inserted first
    clock.now = start + 10;
    fail(limiter, 'amy', '10.0.0.2');
    clock.now = start + 1005; // bob's window restarts here; amy's ends exactly at start + 1010
    fail(limiter, 'bob', '10.0.0.1');
    clock.now = start + 1010;
    admitted(limiter.admit('carol', '10.0.0.3')).settle(true);
    expect(limiter.admit('bob', '10.0.0.1')).toEqual({ admitted: false, retryAfter: 1 });
  });
});

describe('LoginLimiter sweeper', () => {
  it('close() stops the sweeper timer', () => {
    vi.useFakeTimers();
    const limiter = new LoginLimiter();
    expect(vi.getTimerCount()).toBe(1);
    limiter.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('addressKey of IPv6 with groups after ::', () => {
  const cases: [string, string, string][] = [
    ['groups after :: reach into the /64', '2001:db8::1:2:3:4:5', '2001:db8:0:1::/64'],
    ['only groups after ::', '::1:2:3:4:5:6:7', '0:1:2:3::/64'],
    ['multi-digit groups after ::', '2001:db8::ab:cd:ef:12:34', '2001:db8:0:ab::/64'],
    ['IPv4-mapped in hex form is IPv6 (no dot)', '::ffff:c000:207', '0:0:0:0::/64'],
    ['nothing after ::', '2001:db8:7::', '2001:db8:7:0::/64'],
  ];
  for (const [name, address, key] of cases) it(name, () => expect(addressKey(address)).toBe(key));
});
