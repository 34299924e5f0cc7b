// vitest globalSetup: the environment the test workers, and every process they start, inherit.
//
// NODE_EXTRA_CA_CERTS goes: Node 20 reads and parses that file at every start, before any code runs.
// Pointed at a system bundle (/etc/ssl/certs/ca-certificates.crt, ~140 roots, as some machines and CI
// images set it), that is ~50 ms of CPU per process: `node -e 0` took 76 ms against 28 ms without it on
// this project's 2-core machine. A run starts ~270 Node processes (Gatehouse, its workers, the CLI), so
// the variable cost the suite ~19 CPU-seconds. No test reaches a server it did not start itself; the one
// test about the variable (test/cluster/http-client.test.ts) sets it for its own child. Node 22+ reads the
// file only on a TLS connection's first use and pays nothing at start.
export default function setup(): () => void {
  const extraCaCerts = process.env['NODE_EXTRA_CA_CERTS'];
  delete process.env['NODE_EXTRA_CA_CERTS'];
  return () => {
    if (extraCaCerts !== undefined) process.env['NODE_EXTRA_CA_CERTS'] = extraCaCerts;
  };
}
