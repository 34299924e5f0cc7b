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
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TraceMap as TraceMapType, originalPositionFor as OriginalPositionFor } from '@jridgewell/trace-mapping';

interface TraceMapping {
  readonly TraceMap: typeof TraceMapType;
  readonly originalPositionFor: typeof OriginalPositionFor;
}

const requireHere = createRequire(import.meta.url);
let traceMapping: TraceMapping | null | undefined;
const maps = new Map<string, TraceMapType | null>();

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

/** The map written beside a generated file (`x.js.map`), read once; null for a file without one. */
function mapOf(file: string): TraceMapType | null {
  const known = maps.get(file);
  if (known !== undefined) return known;
  let map: TraceMapType | null = null;
  if (!file.startsWith('node:')) {
    try {
      const path = file.startsWith('file:') ? fileURLToPath(file) : file;
      const json = readFileSync(`${path}.map`, 'utf8');
      const mapping = loadTraceMapping();
      if (mapping) map = new mapping.TraceMap(json, pathToFileURL(`${path}.map`).href);
    } catch {
      // No map beside it (node_modules, a test's own file): the frame stays as it is.
    }
  }
  maps.set(file, map);
  return map;
}

// A position in a frame as V8 prints it: `at fn (file:///x/dist/chunks/a.js:12:34)`, `at file:///…:1:2`,
// `at /x/dist/vendor/y.cjs:5:6`. Paths with spaces or parentheses are left as they are.
const POSITION = /((?:file:\/\/)?\/[^\s():]+\.[cm]?js):(\d+):(\d+)/g;

/** One position, the source's where the file's map knows it, else as it was. */
function mappedPosition(whole: string, file: string, line: string, column: string): string {
  const map = mapOf(file);
  if (!map) return whole;
  const original = loadTraceMapping()!.originalPositionFor(map, { line: Number(line), column: Number(column) - 1 });
  if (original.source === null || original.line === null || original.column === null) return whole;
  const source = original.source.startsWith('file:') ? fileURLToPath(original.source) : original.source;
  return `${source}:${original.line}:${original.column + 1}`;
}

/**
 * A stack trace's text with each position in dist/ replaced by the source's (a chunk's map is read
 * the first time one of its positions is mapped). Unchanged when Node's own mapping is on (it did the
 * work at compile time), and for frames without a map (Node's own, a test's file).
 */
export function mapStackTrace(text: string): string {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true) return text;
  return text.replace(POSITION, (whole, file: string, line: string, column: string) => {
    try {
      return mappedPosition(whole, file, line, column);
    } catch {
      return whole;
    }
  });
}

/** The error's stack, mapped (mapStackTrace); undefined for a value that is not an Error or has no stack. */
export function stackOf(error: unknown): string | undefined {
  return error instanceof Error && typeof error.stack === 'string' ? mapStackTrace(error.stack) : undefined;
}
