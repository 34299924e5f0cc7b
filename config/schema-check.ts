// Validates a parsed document against a JSON Schema (ajv) and reports every failure as a
// ConfigProblem that names the key and points at it, in words an operator understands.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { GatehouseError, builtFile } from '../core/index.js';
import type { ConfigProblem } from './errors.js';
import { formatKeyPath, type KeyPath, type YamlFile } from './yaml-document.js';
import { SCHEMA_FORMATS } from './schema-formats.js';

const FORMAT_HINTS: Record<string, string> = {
  duration: 'a duration such as 90s, 5m, 5d, or a number of seconds',
  'listen-address': 'host:port, e.g. 127.0.0.1:8053',
  size: 'a size such as 65536, 512k, 32m or 1g',
  workers: '"auto" (one per core) or a number of processes',
  'interface-name': 'a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -, not lo), e.g. minuteman',
};

export type Schema = Record<string, unknown>;

/** ajv's options for every schema (the build compiles with these; errors are described from what they report). */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true, verbose: true, coerceTypes: false, useDefaults: false } as const;

/**
 * Where the build (scripts/compile-schemas.mjs) writes each schema's validator as code. Compiling a
 * schema with ajv at start cost ~250 ms of CPU in every `gatehouse run`; the generated code costs a
 * file read. The tests run the sources, which use the validators built into dist/ from the same schemas.
 */
export const VALIDATORS_DIR = builtFile('config/validators/');

/** Every schema named so far (by the modules that own them, when imported): what the build compiles. */
const SCHEMAS = new Map<string, Schema>();

/** The fingerprint a generated validator carries of the schema it was built from. */
export function schemaHash(schema: Schema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

export function registeredSchemas(): ReadonlyMap<string, Schema> {
  return SCHEMAS;
}

/**
 * The validator of `schema`, built into dist/ under `name`, loaded on its first call: a gateway worker
 * or `gatehouse token` imports the modules that own schemas without ever validating a file. There is
 * no fallback to compiling at run time: a missing or stale validator is an error naming the fix.
 */
export function compileSchema(name: string, schema: Schema): ValidateFunction {
  // One validator file per name: two schemas under one name would share (and fail) one fingerprint.
  if (SCHEMAS.has(name) && SCHEMAS.get(name) !== schema) throw new GatehouseError('ERR_CONFIG_SCHEMA_NAME', `two schemas are named ${name}`);
  SCHEMAS.set(name, schema);
  let loaded: ValidateFunction | null = null;
  const validate = ((data: unknown) => {
    loaded ??= loadValidator(VALIDATORS_DIR, name, schema);
    const valid = loaded(data);
    validate.errors = loaded.errors;
    return valid;
  }) as ValidateFunction;
  return validate;
}

interface GeneratedValidator {
  readonly schemaHash: string;
  bind(formats: typeof SCHEMA_FORMATS): ValidateFunction;
}

/** Reads `<dir>/<name>.cjs` (CommonJS: ajv's generated code requires its runtime helpers). */
export function loadValidator(dir: string, name: string, schema: Schema): ValidateFunction {
  const file = `${dir}${dir.endsWith('/') ? '' : '/'}${name}.cjs`;
  if (!existsSync(file))
    throw new GatehouseError('ERR_CONFIG_VALIDATOR_MISSING', `the validator of the ${name} schema is missing (${file}): run \`npm run build\``);
  const generated = createRequire(import.meta.url)(file) as GeneratedValidator;
  if (generated.schemaHash !== schemaHash(schema))
    throw new GatehouseError(
      'ERR_CONFIG_VALIDATOR_STALE',
      `the validator of the ${name} schema (${file}) was built from another version of the schema: run \`npm run build\``,
    );
  return generated.bind(SCHEMA_FORMATS);
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
