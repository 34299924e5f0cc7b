// The process metrics every Gatehouse process registers: Prometheus's usual names, event-loop lag included.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics } from '../../cli/process-metrics.js';

describe('collectProcessMetrics', () => {
  it.each(['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes'])(
    'registers %s',
    async (name) => {
      const registry = new Registry();
      collectProcessMetrics(registry);
      expect(await registry.metrics()).toMatch(new RegExp(`^${name} `, 'm'));
    },
  );
});
