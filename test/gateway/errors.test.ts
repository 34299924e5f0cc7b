// The gateway's one table of error codes: every ERR_GATEWAY_* code the sources use is either an HTTP
// answer with a status and title, or an internal code (startup, upstream, client) that never is one;
// and the statuses agree with what the README tells users.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GATEWAY_ANSWERS, GATEWAY_INTERNAL_CODES, GatewayError, type GatewayAnswerCode, type GatewayErrorCode } from '../../gateway/index.js';
import { GatehouseError } from '../../core/index.js';

const root = new URL('../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
}

const usedCodes = [...new Set([...sources('gateway'), ...sources('cli')].flatMap((text) => text.match(/ERR_GATEWAY_[A-Z_]+/g) ?? []))].sort();
const answerCodes = Object.keys(GATEWAY_ANSWERS) as GatewayAnswerCode[];
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The status the README gives a code: the last three-digit status in the same sentence before it. */
function readmeStatus(code: string): number | null {
  const at = readme.indexOf(code);
  if (at < 0) return null;
  const before = readme.slice(Math.max(0, at - 80), at).split(/\.\s|\|/).pop() ?? '';
  const statuses = before.match(/\b[1-5]\d\d\b/g);
  return statuses ? Number(statuses[statuses.length - 1]) : null;
}

describe('gateway error codes', () => {
  it('finds the codes in the sources (the scan itself works)', () => {
    expect(usedCodes.length).toBeGreaterThan(20);
  });

  it.each(usedCodes)('%s is in exactly one of the answer table and the internal list', (code) => {
    const isAnswer = code in GATEWAY_ANSWERS;
    const isInternal = (GATEWAY_INTERNAL_CODES as readonly string[]).includes(code);
    expect({ code, isAnswer, isInternal }).toEqual({ code, isAnswer: isAnswer, isInternal: !isAnswer });
  });

  it.each([...answerCodes, ...GATEWAY_INTERNAL_CODES])('%s is used by the sources (no stale entry)', (code) => {
    expect(usedCodes).toContain(code);
  });

  it.each(answerCodes)('%s answers with a real HTTP error status and its standard title', (code) => {
    const { status, title } = GATEWAY_ANSWERS[code];
    expect(status).toBeGreaterThanOrEqual(400);
    expect(title).toBe(STATUS_CODES[status]);
  });

  const documented = answerCodes.map((code) => ({ code, status: readmeStatus(code) })).filter((d) => d.status !== null);
  it('the README documents the status of the common answers', () => {
    expect(documented.map((d) => d.code)).toEqual(expect.arrayContaining([
      'ERR_GATEWAY_INTERNAL', 'ERR_GATEWAY_UPGRADE_BODY', 'ERR_GATEWAY_UPGRADE_UNSUPPORTED', 'ERR_GATEWAY_BODY_TOO_LARGE',
      'ERR_GATEWAY_HEADERS_TOO_LARGE', 'ERR_GATEWAY_BODY_TIMEOUT', 'ERR_GATEWAY_SNAPSHOT_UNUSABLE',
    ]));
  });
  it.each(documented)('$code answers $status as the README says', ({ code, status }) => {
    expect(GATEWAY_ANSWERS[code].status).toBe(status);
  });

  it('GatewayError is a GatehouseError with its code and a name of its own', () => {
    const code: GatewayErrorCode = 'ERR_GATEWAY_LISTEN';
    const error = new GatewayError(code, 'gateway.listen: cannot listen', { cause: new Error('EADDRINUSE') });
    expect(error).toBeInstanceOf(GatehouseError);
    expect({ code: error.code, name: error.name, message: error.message }).toEqual({ code, name: 'GatewayError', message: 'gateway.listen: cannot listen' });
  });
});
