// Requests by route and status, and their latency by route, as Prometheus metrics. Counted in plain
// numbers on the hot path and formatted for prom-client only when /metrics is read: prom-client's
// own Counter and Histogram children hash their labels on every call, measured at ~0.9 µs per
// request (about 2% of a proxied request's CPU), this at a few tens of ns. The output is exactly
// what prom-client's Counter and Histogram print for the same observations (test/gateway/request-metrics.test.ts),
// and carries their `sum` aggregator, so the primary adds up its workers' series as before.
import type { Registry } from 'prom-client';

export const REQUESTS_METRIC = 'gatehouse_gateway_requests_total';
export const DURATION_METRIC = 'gatehouse_gateway_request_duration_seconds';
const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] as const;

/** One route's numbers. */
class RouteSeries {
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly inBucket = new Float64Array(BUCKETS.length + 1);
  sum = 0;
  count = 0;
  readonly byStatus = new Map<number, StatusCount>();
}

interface StatusCount {
  readonly route: string;
  readonly status: number;
  count: number;
}

type MetricValue = { value: number; labels: Record<string, string | number>; metricName?: string };

export class RequestMetrics {
  readonly #routes = new Map<string, RouteSeries>();
  /** Every route and status seen, in the order first seen (prom-client prints its series so). */
  readonly #counts: StatusCount[] = [];

  constructor(registry: Registry) {
    const routes = this.#routes;
    const counts = this.#counts;
    const reset = (): void => {
      routes.clear();
      counts.length = 0;
    };
    register(registry, REQUESTS_METRIC, 'Gateway requests by route and status', 'counter', reset, () =>
      counts.map(({ route, status, count }) => ({ value: count, labels: { route, status: String(status) } })),
    );
    register(registry, DURATION_METRIC, 'Gateway request duration by route', 'histogram', reset, () => histogramValues(routes));
  }

  observe(route: string, status: number, seconds: number): void {
    let series = this.#routes.get(route);
    if (series === undefined) this.#routes.set(route, (series = new RouteSeries()));
    let counted = series.byStatus.get(status);
    if (counted === undefined) {
      counted = { route, status, count: 0 };
      series.byStatus.set(status, counted);
      this.#counts.push(counted);
    }
    counted.count++;
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++;
    series.inBucket[bucket]!++;
    series.sum += seconds;
    series.count++;
  }
}

/** A metric prom-client's registry prints and aggregates as it does its own (the `sum` aggregator, as its Counter and Histogram). */
function register(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', reset: () => void, values: () => MetricValue[]): void {
  const metric = { name, help, type, aggregator: 'sum', reset, get: () => ({ name, help, type, aggregator: 'sum', values: values() }) };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

function histogramValues(routes: ReadonlyMap<string, RouteSeries>): MetricValue[] {
  const values: MetricValue[] = [];
  for (const [route, series] of routes) {
    let cumulative = 0;
    BUCKETS.forEach((bound, i) => {
      cumulative += series.inBucket[i]!;
      values.push({ value: cumulative, labels: { le: bound, route }, metricName: `${DURATION_METRIC}_bucket` });
    });
    values.push({ value: series.count, labels: { le: '+Inf', route }, metricName: `${DURATION_METRIC}_bucket` });
    values.push({ value: series.sum, labels: { route }, metricName: `${DURATION_METRIC}_sum` });
    values.push({ value: series.count, labels: { route }, metricName: `${DURATION_METRIC}_count` });
  }
  return values;
}
