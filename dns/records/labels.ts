// Mesos-DNS's label rules (its naming docs and label sanitiser): how task and framework names become
// DNS labels, and the short hash that makes every task's canonical name unique.
import * as crypto from 'node:crypto';

export type LabelMode = 'rfc1123' | 'rfc952';

const LIMITS: Record<LabelMode, { max: number; leading: RegExp }> = {
  rfc1123: { max: 63, leading: /^-+/ },
  rfc952: { max: 24, leading: /^[-0-9]+/ },
};

/** Lower-case ASCII, keep [a-z0-9], map `-._` to `-`, drop everything else. */
function mapCharacters(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch.length > 1) continue; // outside the BMP: never a label character
    if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57)) out += ch;
    else if (code >= 65 && code <= 90) out += String.fromCharCode(code + 32);
    else if (ch === '-' || ch === '.' || ch === '_') out += '-';
  }
  return out;
}

/**
 * One DNS label from any text. After the cut to the mode's length, trailing dashes are removed and
 * the freed room is refilled from what follows the dashes, exactly as Mesos-DNS does (its tests pin
 * it: `hello` + 58 dashes + `f` becomes `hellof`).
 */
export function sanitizeLabel(text: string, mode: LabelMode = 'rfc1123'): string {
  const { max, leading } = LIMITS[mode];
  const mapped = mapCharacters(text).replace(leading, '');
  const cut = mapped.slice(0, max);
  const head = cut.replace(/-+$/, '');
  if (head.length === cut.length) return head;
  const rest = mapped.slice(max).replace(/^-+/, '');
  return head + rest.slice(0, max - head.length);
}

/** A dotted name: every part sanitised on its own, empty parts dropped. */
export function domainFrag(text: string, mode: LabelMode = 'rfc1123'): string {
  return text
    .split('.')
    .map((part) => sanitizeLabel(part, mode))
    .filter(Boolean)
    .join('.');
}

const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

// Task ids are stable across snapshots, so each is hashed once per process, not once per rebuild.
const hashCache = new Map<string, string>();
const HASH_CACHE_LIMIT = 200_000;

/** First 5 characters of the z-base-32 encoding of SHA-1(id): 25 bits, most significant first. */
export function hashTaskId(id: string): string {
  const cached = hashCache.get(id);
  if (cached !== undefined) return cached;
  const hash = computeHash(id);
  if (hashCache.size >= HASH_CACHE_LIMIT) hashCache.clear();
  hashCache.set(id, hash);
  return hash;
}

// One-shot hashing (Node >= 20.12) is several times cheaper than a Hash object per id.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

function computeHash(id: string): string {
  const bits = oneShot ? parseInt(oneShot('sha1', id, 'hex').slice(0, 8), 16) : crypto.createHash('sha1').update(id).digest().readUInt32BE(0);
  let out = '';
  for (let i = 0; i < 5; i++) out += ZBASE32[(bits >>> (27 - 5 * i)) & 31];
  return out;
}

/** The agent part of a canonical task name: the last `-` field of the agent id, lower-cased. */
export function agentTail(agentId: string): string {
  return (agentId.split('-').pop() ?? '').toLowerCase();
}
