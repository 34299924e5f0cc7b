// Stack traces that name the .ts files (dist/ is bundled: a frame would otherwise name a chunk,
// dist/chunks/server-1a2b.js:4567), mapped when Gatehouse prints one: the CLI's failure, the log line
// of an error (the logger's `err`), the frames of an uncaught error or a failed request. Not in
// Error.prepareStackTrace, which runs whenever anything reads a stack: Node reads the stack of every
// error a stream is destroyed with (a client that leaves mid-request, a request aborted at stop), and
// mapping there decoded whole maps for traces nobody printed (100-180 ms of CPU in a gateway worker
// at the first client that left, and in every process at its stop). Node's own source-map support
// (--enable-source-maps) parses the map of every module as it compiles it: 50-80 ms of each start.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TraceMap as TraceMapType, originalPositionFor as OriginalPositionFor } from '@jridgewell/trace-mapping';

interface TraceMapping {
  readonly TraceMap: typeof TraceMapType;
  readonly originalPositionFor: typeof OriginalPositionFor;
}

const requireHere = createRequire(import.meta.url);
let traceMapping: TraceMapping | null | undefined;
const maps = new Map<string, TraceMapType>();

/**
 * The package bundled into dist/vendor (built), or from node_modules (sources run directly, or a
 * layout where this chunk is not one level below dist/); null when neither is there. Not through
 * core/package-files.ts: a trace must be mapped also when that module fails to find the package.
 */
function loadTraceMapping(): TraceMapping | null {
  if (traceMapping !== undefined) return traceMapping;
  for (const candidate of [fileURLToPath(new URL('../vendor/trace-mapping.cjs', import.meta.url)), '@jridgewell/trace-mapping']) {
    try {
      return (traceMapping = requireHere(candidate) as TraceMapping);
    } catch {
      // The next candidate.
    }
  }
  return (traceMapping = null);
}

/**
 * The map written beside a generated file (`x.js.map`), read once and kept; null for a file without
 * one, which is not kept (the paths asked about come from the text of a stack, which is not bounded).
 */
function mapOf(path: string): TraceMapType | null {
  const known = maps.get(path);
  if (known) return known;
  try {
    const json = readFileSync(`${path}.map`, 'utf8');
    const mapping = loadTraceMapping();
    if (!mapping) return null;
    const map = new mapping.TraceMap(json, pathToFileURL(`${path}.map`).href);
    maps.set(path, map);
    return map;
  } catch {
    // No map beside it (a generated schema validator): the frame stays as it is.
    return null;
  }
}

// Only the package's own files have maps (dist/ when built). A position elsewhere is not looked up:
// an error's message may hold any text, and each path looked up would be a file read and an entry
// kept for the process's life.
const OWN_FILES = fileURLToPath(new URL('../', import.meta.url));
const FRAME = /^\s+at /;
const DIGITS = /^\d+$/;

/**
 * One frame line as V8 prints it (`at fn (FILE:LINE:COL)`, `at FILE:LINE:COL`), its position the
 * source's where the file's map knows it, else as it was. The position is read back from the line's
 * end with lastIndexOf: a pattern searched through the line cost time growing with the square of a
 * long message's length (16 KB of slashes: 134 ms).
 */
function mappedFrame(text: string): string {
  const end = text.endsWith(')') ? text.length - 1 : text.length;
  const columnAt = text.lastIndexOf(':', end - 1);
  const lineAt = columnAt > 0 ? text.lastIndexOf(':', columnAt - 1) : -1;
  if (lineAt < 0) return text;
  const line = text.slice(lineAt + 1, columnAt);
  const column = text.slice(columnAt + 1, end);
  if (!DIGITS.test(line) || !DIGITS.test(column)) return text;
  const open = text.lastIndexOf('(', lineAt);
  const start = open >= 0 ? open + 1 : text.indexOf('at ') + 3;
  const file = text.slice(start, lineAt);
  const written = file.startsWith('file:') ? fileURLToPath(file) : file;
  // V8 prints a module's absolute path or URL: anything else (`eval at <anonymous> (…), <anonymous>`) is
  // not a file, and must not become one by resolving it against the working directory.
  if (!isAbsolute(written)) return text;
  // Resolved: `dist/../x.js` is not one of ours.
  const path = resolve(written);
  if (!path.startsWith(OWN_FILES)) return text;
  const map = mapOf(path);
  if (!map) return text;
  const original = loadTraceMapping()!.originalPositionFor(map, { line: Number(line), column: Number(column) - 1 });
  if (original.source === null || original.line === null || original.column === null) return text;
  const source = original.source.startsWith('file:') ? fileURLToPath(original.source) : original.source;
  return `${text.slice(0, start)}${source}:${original.line}:${original.column + 1}${text.slice(end)}`;
}

/**
 * A stack trace's text with each frame's position in dist/ replaced by the source's (a chunk's map is
 * read the first time one of its positions is mapped). The message is left as it is, and so are frames
 * without a map (Node's own, a test's file), and everything when Node's own mapping is on (it did the
 * work at compile time).
 */
export function mapStackTrace(text: string): string {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true) return text;
  return text
    .split('\n')
    .map((line) => {
      if (!FRAME.test(line)) return line;
      try {
        return mappedFrame(line);
      } catch {
        return line;
      }
    })
    .join('\n');
}

/** The error's stack, mapped (mapStackTrace); undefined for a value that is not an Error or has no stack. */
export function stackOf(error: unknown): string | undefined {
  return error instanceof Error && typeof error.stack === 'string' ? mapStackTrace(error.stack) : undefined;
}
