// The agent API's Content-Disposition for /files/download: a file name chosen by a task never puts
// bytes in the header that node:http refuses (which would throw while answering) or that split it.
import { validateHeaderValue } from 'node:http';
import { describe, expect, it } from 'vitest';
import { attachment } from '../../../cluster/local/api/agent-api.js';

describe('attachment (Content-Disposition of /files/download)', () => {
  const cases: [string, string, string][] = [
    ['a plain name', 'stdout', `attachment; filename="stdout"; filename*=UTF-8''stdout`],
    ['non-ASCII', '€uro.txt', `attachment; filename="_uro.txt"; filename*=UTF-8''%E2%82%ACuro.txt`],
    ['a quote and a backslash', 'a"b\\c', `attachment; filename="a_b_c"; filename*=UTF-8''a%22b%5Cc`],
    ['CR LF', 'x\r\nSet-Cookie: y', `attachment; filename="x__Set-Cookie: y"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20y`],
    ['parentheses and a star', "it's (1)*", `attachment; filename="it's (1)*"; filename*=UTF-8''it%27s%20%281%29%2A`],
  ];
  for (const [name, file, want] of cases) {
    it(`${name}: a header node:http accepts`, () => {
      const value = attachment(file);
      expect(value).toBe(want);
      expect(() => validateHeaderValue('content-disposition', value)).not.toThrow();
    });
  }
});
