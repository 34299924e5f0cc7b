// Node's process metrics (CPU, memory, handles, event-loop lag) in a registry, for the primary and each
// gateway worker.
import { Counter, collectDefaultMetrics, type Registry } from 'prom-client';
import { droppedLogLines } from './logger.js';

// prom-client samples the event loop's delay with a libuv timer at this resolution; its default of
// 10 ms woke every idle process 100 times a second (~5 ms of CPU per second each, about 40% of an idle
// gateway worker's CPU). Every 100 ms still shows any stall long enough to matter in the lag percentiles.
const EVENT_LOOP_SAMPLE_MS = 100;

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  let reported = 0;
  new Counter({
    name: 'gatehouse_log_lines_dropped_total',
    help: 'Log lines (other than access lines) dropped because stdout took nothing (a full pipe nobody reads)',
    registers: [registry],
    collect() {
      const dropped = droppedLogLines();
      if (dropped > reported) this.inc(dropped - reported);
      reported = dropped;
    },
  });
}
