// gateway.tls: HTTPS only, and login cookies marked Secure.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesOnly } from '../../gateway/public-endpoints.js';
import { startGatehouseProcess, type GatehouseProcess } from '../support/gatehouse-process.js';
import { writeSigningKey } from '../support/premade-authn.js';
import { selfSignedCertificate } from '../support/tls.js';

// Under both HTTP engines (gateway.engine), side by side (each its own directory and binary); the
// cases of one engine in order.
describe.concurrent.each(['lean', 'node'] as const)('gateway.engine: %s', (engine) => {
  let dir: string;
  let gatehouse: GatehouseProcess;
  let port: number;
  const curl = (args: string[]) => new Promise<string>((resolve) => execFile('curl', ['-sk', '-i', ...args], (_e, stdout) => resolve(stdout)));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-tls-'));
    selfSignedCertificate(dir);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ leader: 'master@127.0.0.1:5050', frameworks: [] }));
    // The key is made beforehand; the users file is not: the first-start admin logs in below.
    await writeSigningKey(join(dir, 'signing.pem'));
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(
      config,
      [
        'cluster:',
        '  source: file',
        `  file: { path: ${JSON.stringify(join(dir, 'state.json'))} }`,
        'dns: { enabled: false }',
        'gateway:',
        '  listen: 127.0.0.1:0',
        `  routes: ${JSON.stringify(join(dir, 'routes.d'))}`,
        `  engine: ${engine}`,
        // TLS is set up by the GatewayServer both paths build from the same gatewayOptions(config): node
        // keeps the default (workers: auto, two on two cores), lean runs in-process; two more workers
        // for lean would prove nothing that these two do not.
        ...(engine === 'lean' ? ['  workers: 1'] : []),
        `  tls: { cert: ${JSON.stringify(join(dir, 'cert.pem'))}, key: ${JSON.stringify(join(dir, 'key.pem'))} }`,
        'authn:',
        `  signingKey: ${JSON.stringify(join(dir, 'signing.pem'))}`,
        `  users: ${JSON.stringify(join(dir, 'users.yaml'))}`,
      ].join('\n'),
    );
    gatehouse = startGatehouseProcess(['run', '--config', config]);
    port = (await gatehouse.waitForLog((l) => l.msg === 'gatehouse is running'))['gatewayPort'] as number;
  });
  afterAll(async () => {
    await gatehouse?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe.sequential('gateway over TLS', () => {
    it('answers HTTPS, and a login cookie is Secure', async () => {
      const password = (await gatehouse.waitForStderr(/Password \(shown once\): (\S+)/))[1]!; // printed after "gatehouse is running"
      const answer = await curl([
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data',
        JSON.stringify({ uid: 'admin', password }),
        `https://127.0.0.1:${port}/acs/api/v1/auth/login`,
      ]);
      expect(answer).toMatch(/^HTTP\/1.1 200/);
      expect(answer).toMatch(/set-cookie: dcos-acs-auth-cookie=[^\r\n]*; Secure/i);
    });
    it('plain HTTP on the TLS port is not served', async () => {
      const answer = await curl([`http://127.0.0.1:${port}/health`]);
      expect(answer).not.toMatch(/^HTTP\/1.1 200/);
    });
  });

  // The DC/OS CLI, given an https URL whose certificate it does not trust, downloads /ca/dcos-ca.crt
  // without a token and asks the user to confirm its fingerprint (dcos/dcos-cli pkg/setup/setup.go).
  describe.sequential('/ca/dcos-ca.crt for the DC/OS CLI', () => {
    it('is public and holds the certificate of gateway.tls.cert', async () => {
      const answer = await curl([`https://127.0.0.1:${port}/ca/dcos-ca.crt`]);
      expect(answer).toMatch(/^HTTP\/1.1 200/);
      expect(answer.split('\r\n\r\n')[1]).toBe(await readFile(join(dir, 'cert.pem'), 'utf8'));
    });
    it('the downloaded certificate verifies the gateway (curl --cacert, no -k)', async () => {
      const ca = (await curl([`https://127.0.0.1:${port}/ca/dcos-ca.crt`])).split('\r\n\r\n')[1]!;
      await writeFile(join(dir, 'downloaded-ca.pem'), ca);
      const verified = await new Promise<string>((resolve) =>
        execFile(
          'curl',
          [
            '-s',
            '-i',
            '--cacert',
            join(dir, 'downloaded-ca.pem'),
            '--resolve',
            `localhost:${port}:127.0.0.1`,
            `https://localhost:${port}/health`,
          ],
          (_e, stdout) => resolve(stdout),
        ),
      );
      expect(verified).toMatch(/^HTTP\/1.1 200/);
    });
    it('only certificates are served, never a private key kept in the same file', () => {
      const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
      const key = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
      expect(certificatesOnly(`${key}\n${cert}\n${cert}\n`)).toBe(`${cert}\n${cert}\n`);
      expect(certificatesOnly(key)).toBe('');
    });
  });
});
