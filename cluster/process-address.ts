// libprocess addresses: `scheduler(1)@10.0.0.1:25501`, `slave(1)@[2001:db8::1]:5051`.
import { isIP } from 'node:net';

export interface ParsedPid {
  readonly raw: string;
  readonly host: string;
  readonly port: number;
}

/** The parts of a pid, or null when it is not `<id>@<host>:<port>`. */
export function parsePid(raw: unknown): ParsedPid | null {
  if (typeof raw !== 'string') return null;
  const at = raw.lastIndexOf('@');
  if (at <= 0) return null;
  return parseHostPort(raw.slice(at + 1), raw);
}

/** `host:port` or `[v6]:port`. */
export function parseHostPort(text: string, raw = text): ParsedPid | null {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!match) return null;
  const host = match[1]!;
  const port = Number(match[2]);
  if (!host || port > 65535) return null;
  if (text.startsWith('[') && isIP(host) !== 6) return null;
  return { raw, host, port };
}

/** Canonical text of an IP (IPv4-mapped IPv6 becomes IPv4, IPv6 compressed), or null. */
export function canonicalIp(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) return mapped[1]!;
  return compressIpv6(text);
}

function compressIpv6(text: string): string {
  // Expand to 8 groups, then print the RFC 5952 form (lower case, longest zero run as ::).
  let groups: number[];
  const [head = '', tail] = text.toLowerCase().split('::');
  const parse = (part: string): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  if (tail === undefined) groups = parse(head);
  else {
    const left = parse(head);
    const right = parse(tail);
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
