// How big V8 lets the young generation ("new space") grow in the primary. V8 doubles it after a burst
// of allocation that survives (parsing a cluster state, building DNS records and answer tables) up to
// 2 × 16 MB on Node 20 and 2 × 32 MB on Node 24, and keeps it while the process idles: at 10,000 tasks
// some 25 MB of the primary's RSS was an empty young generation. The parse and the record build cost
// little more CPU with it kept small (bench/README.md "Scale"): what they allocate lives on. Gateway
// workers keep V8's default: capped, they served 3-11% fewer requests/s (same section).
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * The primary (`gatehouse mesos-dns`, and `gatehouse run` unless the gateway serves in it): the
 * young generation stays at its starting size (1 MB semi-spaces). V8 raises this flag to 2 when it reads it at start-up, so
 * `node --semi-space-growth-factor=1` does nothing; set once running, it is what every growth reads.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

export interface HeapCompaction {
  /** Big work just ended (a snapshot published: a state parsed, records and answers rebuilt): compact once quiet. */
  afterWork(): void;
  /** Compacting collections run so far. */
  readonly count: number;
  close(): void;
}

export interface HeapCompactionOptions {
  /** How long after the last piece of work to wait (a burst of snapshots compacts once). */
  readonly quietMs?: number;
  /**
   * Never more often than this, nor than 20 times the last compaction's own pause (at most 5% of
   * the time): a cluster that changes every second must not pay a full collection each time.
   */
  readonly minIntervalMs?: number;
  /** Compact only when the committed heap grew this much since the last compaction left it. */
  readonly slackBytes?: number;
}

/**
 * A rebuild leaves the primary's heap committed at its high-water mark, its old pages a third full:
 * at 10,000 tasks 70-80 MB of heap for 37 MB that lives. V8's memory reducer gives them back only
 * once it finds the process idle (20-30 s later here: the workers' status messages keep it busy),
 * and an ordinary full collection moves almost nothing (80 -> 84 MB measured). One full collection
 * that compacts every page, once the burst is over, does (bench/README.md "Scale": the primary's
 * RSS at 10,000 tasks 158 -> 115 MB settled). It pauses the event loop for as long as that takes
 * (a tenth to a fifth of the rebuild's own pause), hence at most one per 20 such pauses. V8 gives `gc` only to contexts made while
 * --expose-gc is set: one is made for it and the flag cleared; compaction is switched on for that
 * one collection alone.
 */
export function compactHeapAfterWork(options: HeapCompactionOptions = {}): HeapCompaction {
  const quietMs = options.quietMs ?? 1000;
  const minIntervalMs = options.minIntervalMs ?? 2000;
  const slackBytes = options.slackBytes ?? 16 << 20;
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  v8.setFlagsFromString('--no-expose-gc');
  let timer: NodeJS.Timeout | null = null;
  let lastAt = -Infinity;
  let lastPauseMs = 0;
  let committedAfterLast = 0;
  let count = 0;
  const schedule = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  };
  function run(): void {
    timer = null;
    const wait = lastAt + Math.max(minIntervalMs, 20 * lastPauseMs) - performance.now();
    if (wait > 0) return schedule(wait);
    if (v8.getHeapStatistics().total_heap_size <= committedAfterLast + slackBytes) return;
    const started = performance.now();
    v8.setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      v8.setFlagsFromString('--no-compact-on-every-full-gc');
    }
    count++;
    lastAt = performance.now();
    lastPauseMs = lastAt - started;
    committedAfterLast = v8.getHeapStatistics().total_heap_size;
  }
  return {
    afterWork: () => schedule(quietMs),
    get count() {
      return count;
    },
    close: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
