// How big V8 lets the young generation ("new space") grow in the primary. V8 doubles it after a burst
// of allocation that survives (parsing a cluster state, building DNS records and answer tables) up to
// 2 × 16 MB on Node 20 and 2 × 32 MB on Node 24, and keeps it while the process idles: at 10,000 tasks
// some 25 MB of the primary's RSS was an empty young generation. The parse and the record build cost
// little more CPU with it kept small (bench/README.md "Scale"): what they allocate lives on. Gateway
// workers keep V8's default: capped, they served 3-11% fewer requests/s (same section).
import v8 from 'node:v8';

/**
 * The primary (`gatehouse mesos-dns`, and `gatehouse run` unless the gateway serves in it): the
 * young generation stays at its starting size (1 MB semi-spaces). V8 raises this flag to 2 when it reads it at start-up, so
 * `node --semi-space-growth-factor=1` does nothing; set once running, it is what every growth reads.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
