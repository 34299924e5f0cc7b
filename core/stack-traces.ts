// Stack traces that name the .ts files (dist/ is bundled: a frame would otherwise name a chunk,
// dist/chunks/server-1a2b.js:4567), paid for only when a trace is formatted. Node's own source-map
// support (--enable-source-maps) parses the map of every module as it compiles it, whether a trace
// is ever printed or not: 50-80 ms of a start's CPU here (15% of a primary's, and as much in every
// worker and CLI command). This reads a chunk's map the first time one of its frames is formatted.
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

/** One frame as V8 prints it, its position replaced by the source's when a map knows it. */
export function mappedFrame(frame: NodeJS.CallSite): string {
  const text = frame.toString();
  const file = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!file || line === null || column === null) return text;
  const map = mapOf(file);
  if (!map) return text;
  const original = loadTraceMapping()!.originalPositionFor(map, { line, column: column - 1 });
  if (original.source === null || original.line === null || original.column === null) return text;
  const source = original.source.startsWith('file:') ? fileURLToPath(original.source) : original.source;
  const generated = `${file}:${line}:${column}`;
  const at = text.lastIndexOf(generated);
  if (at < 0) return text;
  return `${text.slice(0, at)}${source}:${original.line}:${original.column + 1}${text.slice(at + generated.length)}`;
}

function errorHeader(error: unknown): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

function prepareStackTrace(error: Error, frames: NodeJS.CallSite[]): string {
  let text = errorHeader(error);
  for (const frame of frames) {
    let shown: string;
    try {
      shown = mappedFrame(frame);
    } catch {
      shown = String(frame);
    }
    text += `\n    at ${shown}`;
  }
  return text;
}

/**
 * Maps every stack trace of this process through the maps of dist/. Not when Node's own mapping is
 * on (`--enable-source-maps` or NODE_OPTIONS): that one already did the work at compile time.
 */
export function installStackTraceMapping(): void {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true) return;
  Error.prepareStackTrace = prepareStackTrace;
}
