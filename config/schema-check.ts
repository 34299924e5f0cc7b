// Validates a parsed document against a JSON Schema (ajv) and reports every failure as a
// ConfigProblem that names the key and points at it, in words an operator understands.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigProblem } from './errors.js';
import { formatKeyPath, type KeyPath, type YamlFile } from './yaml-document.js';
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';

// ajv is CommonJS; under NodeNext its default export arrives wrapped.
type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = (AjvModule as unknown as { default: AjvClass }).default ?? (AjvModule as unknown as AjvClass);

const FORMAT_HINTS: Record<string, string> = {
  duration: 'a duration such as 90s, 5m, 5d, or a number of seconds',
  'listen-address': 'host:port, e.g. 127.0.0.1:8053',
  size: 'a size such as 65536, 512k, 32m or 1g',
  workers: '"auto" (one per core) or a number of processes',
  'interface-name': 'a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -, not lo), e.g. minuteman',
};

export type Schema = Record<string, unknown>;

/**
 * A validator compiled on its first call. Modules compile their schema when imported, and compiling
 * costs about as much CPU as loading the rest of a module tree (the config schema ~130 ms): a
 * gateway worker or a `gatehouse token` imports those modules without ever validating a file.
 */
export function compileSchema(schema: Schema): ValidateFunction {
  let compiled: ValidateFunction | null = null;
  const validate = ((data: unknown) => {
    compiled ??= compileNow(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  }) as ValidateFunction;
  return validate;
}

function compileNow(schema: Schema): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true, coerceTypes: false, useDefaults: false });
  ajv.addFormat('duration', { type: 'string', validate: (s: string) => parseDuration(s) !== null });
  ajv.addFormat('size', { type: 'string', validate: (s: string) => parseSize(s) !== null });
  ajv.addFormat('interface-name', { type: 'string', validate: (s: string) => s !== 'lo' && /^[A-Za-z0-9_.-]{1,15}$/.test(s) });
  ajv.addFormat('workers', { type: 'string', validate: (s: string) => s === 'auto' });
  ajv.addFormat('listen-address', { type: 'string', validate: (s: string) => s === '' || /^(\[[^\]]+\]|[^:\s]+):\d+$/.test(s) });
  return ajv.compile(schema);
}

export function checkSchema(validate: ValidateFunction, doc: YamlFile): ConfigProblem[] {
  if (validate(doc.value)) return [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describe(error, doc);
    const key = `${problem.line}:${problem.col}:${problem.path}:${problem.message}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return problems;
}

function pathOf(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let node = root;
  for (const part of path) node = (node as Record<string | number, unknown> | undefined)?.[part];
  return node;
}

function describe(error: ErrorObject, doc: YamlFile): ConfigProblem {
  const path = pathOf(error.instancePath);
  const value = valueAt(doc.value, path);
  const problem = (p: KeyPath, message: string, key = false): ConfigProblem => ({
    file: doc.file,
    ...doc.positionOf(p, { key }),
    path: formatKeyPath(p),
    message,
  });
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(error.params['additionalProperty']);
      const allowed = Object.keys((error.parentSchema?.['properties'] as object | undefined) ?? {});
      return problem([...path, extra], `unknown key${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`, true);
    }
    case 'required':
      return problem(path, `missing required key "${String(error.params['missingProperty'])}"`, true);
    case 'type':
      return problem(path, `must be ${article(String(error.params['type']))}, got ${shown(value)}`);
    case 'enum':
      return problem(path, `must be one of ${(error.params['allowedValues'] as unknown[]).join(', ')}, got ${shown(value)}`);
    case 'format':
      return problem(path, `must be ${FORMAT_HINTS[String(error.params['format'])] ?? String(error.params['format'])}, got ${shown(value)}`);
    default:
      return problem(path, `${error.message ?? 'is not valid'}${value === undefined ? '' : `, got ${shown(value)}`}`);
  }
}

function article(type: string): string {
  const words = type.split(',').map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`));
  return words.join(' or ');
}
