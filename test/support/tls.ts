// A self-signed certificate for localhost made by the real openssl, for tests that serve or check HTTPS.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Writes `key.pem` and `cert.pem` (CN=localhost, valid one day) into `dir` and returns their paths. The
 * key is EC P-256: openssl makes one in a millisecond, where an RSA-2048 key took 0.1 to 1 s of CPU.
 */
export function selfSignedCertificate(dir: string): { keyFile: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const args = [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-subj', '/CN=localhost', '-days', '1',
  ];
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { keyFile, certFile };
}
