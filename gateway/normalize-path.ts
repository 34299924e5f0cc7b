// The request path is normalised once, before both authorization and routing, so that no spelling
// of a path (`..`, `%2e%2e`, `//`, percent-encoding) reaches a route other than the one checked.
// Encoded slashes, backslashes, NUL and other control characters (%0d%0a…) are refused outright:
// they have no honest use here, and a decoded CR or LF must never reach a header built from the path.

const CONTROL = /[\x00-\x1f\x7f]/;
/**
 * `..;x`, `.;x` and `;x`: Tomcat (and other servlet containers) cut a segment's `;` path parameters
 * before resolving dot segments (and collapse the empty segment `;x` leaves), so `/app/..;/admin` and
 * `/app/;x/../admin` reach it as `/admin` when the gateway passes the path on as is (`stripPrefix:
 * false`), while here they are ordinary segments under `/app/`. A segment with parameters must keep a
 * name of its own (`/a;jsessionid=1` is fine).
 */
const DOT_WITH_PARAMETERS = /^(?:\.\.?)?;/;

export type NormalizedPath = { readonly path: string; readonly search: string } | { readonly error: string };

/** Anything that may change under normalisation: percent-encoding, a backslash, NUL, `//`, a segment starting with `.` or `;`. */
const NEEDS_WORK = /[%\\\0]|\/\/|\/\.|\/;/;
/** Characters encodePath leaves as they are (encodeURIComponent's unreserved set plus the sub-delims it restores, and `/`). */
const ENCODED_AS_IS = /^[A-Za-z0-9\-_.!~*'()$&+,:;=@/]*$/;

export function normalizePath(rawUrl: string): NormalizedPath {
  const queryAt = rawUrl.indexOf('?');
  const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const search = queryAt < 0 ? '' : rawUrl.slice(queryAt);
  if (!rawPath.startsWith('/')) return { error: 'the request path must start with /' };
  // Already normal (the common case): nothing to decode, no empty, `.` or `..` segment. The slow path
  // below would return the same string; this one skips the split and the per-segment decoding.
  if (!NEEDS_WORK.test(rawPath)) return { path: rawPath, search };
  if (/%2f|%5c|%00/i.test(rawPath) || rawPath.includes('\\') || rawPath.includes('\0'))
    return { error: 'encoded slashes, backslashes and NUL are not allowed in paths' };
  const out: string[] = [];
  let trailing = false;
  const segments = rawPath.split('/').slice(1);
  for (const [i, raw] of segments.entries()) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { error: 'the path has a malformed percent-encoding' };
    }
    if (segment.includes('/') || segment.includes('\\') || segment.includes('\0'))
      return { error: 'encoded slashes, backslashes and NUL are not allowed in paths' };
    if (CONTROL.test(segment)) return { error: 'control characters are not allowed in paths' };
    if (DOT_WITH_PARAMETERS.test(segment))
      return {
        error:
          'a dot or empty segment with path parameters (`..;`, `.;`, `;x`) is not allowed: servers like Tomcat read it as `..`, `.` or an empty segment',
      };
    trailing = i === segments.length - 1 && (segment === '' || segment === '.' || segment === '..');
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return { error: 'the path climbs above the root' };
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return { path: `/${out.join('/')}${trailing && out.length ? '/' : ''}`, search };
}

/** Re-encodes a normalised path for the upstream request line. */
export function encodePath(path: string): string {
  if (ENCODED_AS_IS.test(path)) return path;
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%(21|24|26|27|28|29|2A|2B|2C|3A|3B|3D|40)/gi, (m) => decodeURIComponent(m)))
    .join('/');
}
