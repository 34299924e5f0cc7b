// RequestMetrics counts in plain numbers and prints through prom-client's registry: its output must
// be exactly what prom-client's own Counter and Histogram print for the same observations, alone
// and aggregated across workers (AggregatorRegistry, as the primary does).
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DURATION_METRIC, REQUESTS_METRIC, RequestMetrics } from '../../gateway/request-metrics.js';

type Observation = [route: string, status: number, seconds: number];

function withPromClient(observations: readonly Observation[]): Registry {
  const registry = new Registry();
  const requests = new Counter({ name: REQUESTS_METRIC, help: 'Gateway requests by route and status', labelNames: ['route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: DURATION_METRIC,
    help: 'Gateway request duration by route',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  for (const [route, status, seconds] of observations) {
    requests.labels(route, String(status)).inc();
    latency.labels(route).observe(seconds);
  }
  return registry;
}

function withRequestMetrics(observations: readonly Observation[]): Registry {
  const registry = new Registry();
  const metrics = new RequestMetrics(registry);
  for (const [route, status, seconds] of observations) metrics.observe(route, status, seconds);
  return registry;
}

const cases: { name: string; observations: Observation[] }[] = [
  { name: 'nothing observed', observations: [] },
  { name: 'one request', observations: [['file:app', 200, 0.0042]] },
  {
    name: 'several routes and statuses, values on bucket bounds and beyond the last',
    observations: [
      ['file:app', 200, 0.001], ['file:app', 200, 0.0010001], ['file:app', 502, 0.05], ['service:web', 200, 0.3],
      ['service:web', 404, 31], ['file:app', 200, 0], ['mesos', 200, 5], ['file:app', 304, 0.0004], ['service:web', 200, 30],
    ],
  },
  { name: 'a label value that needs escaping', observations: [['file:we"ird\\route', 200, 0.2]] },
];

describe('RequestMetrics prints what prom-client prints', () => {
  for (const c of cases) {
    it(c.name, async () => {
      expect(await withRequestMetrics(c.observations).metrics()).toBe(await withPromClient(c.observations).metrics());
    });
  }

  it('aggregated over two workers, as the primary serves /metrics', async () => {
    const [a, b] = [cases[2]!.observations.slice(0, 4), cases[2]!.observations.slice(4)];
    const ours = AggregatorRegistry.aggregate([await withRequestMetrics(a).getMetricsAsJSON(), await withRequestMetrics(b).getMetricsAsJSON()]);
    const theirs = AggregatorRegistry.aggregate([await withPromClient(a).getMetricsAsJSON(), await withPromClient(b).getMetricsAsJSON()]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('resetMetrics() starts every series over', async () => {
    const registry = withRequestMetrics([['file:app', 200, 0.01]]);
    registry.resetMetrics();
    expect(await registry.metrics()).toBe(await withPromClient([]).metrics());
  });
});
