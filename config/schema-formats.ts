// The string formats of Gatehouse's schemas (ajv `format` definitions), shared by the build that
// compiles the schemas into code and by that code when it runs (it calls `formats[name].validate`).
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';

export interface StringFormat {
  readonly type: 'string';
  readonly validate: (value: string) => boolean;
}

const format = (validate: (value: string) => boolean): StringFormat => ({ type: 'string', validate });

export const SCHEMA_FORMATS: Readonly<Record<string, StringFormat>> = {
  duration: format((s) => parseDuration(s) !== null),
  size: format((s) => parseSize(s) !== null),
  'interface-name': format((s) => s !== 'lo' && /^[A-Za-z0-9_.-]{1,15}$/.test(s)),
  workers: format((s) => s === 'auto'),
  'listen-address': format((s) => s === '' || /^(\[[^\]]+\]|[^:\s]+):\d+$/.test(s)),
};
