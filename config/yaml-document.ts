// Reads YAML (and JSON, a subset the same parser accepts) while keeping where every node came from,
// so that any later check can point at `file:line:col`. Shared by the config, route and app files.
import type * as Yaml from 'yaml';
import type { Node } from 'yaml';
import { requirePackage } from '../core/index.js';
import type { ConfigProblem } from './errors.js';

export type KeyPath = readonly (string | number)[];

export interface YamlFile {
  readonly file: string;
  readonly value: unknown;
  /** Syntax problems (bad YAML, duplicate keys); when non-empty, `value` is not to be trusted. */
  readonly problems: readonly ConfigProblem[];
  /** Where the value at `path` starts; with `key: true`, where its key starts (for unknown keys). */
  positionOf(path: KeyPath, options?: { key?: boolean }): { line: number; col: number };
}

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

let yaml: typeof Yaml | null = null;

/** The yaml package (~70 modules), loaded by the first file read or written: a gateway worker does neither. */
export function yamlLibrary(): typeof Yaml {
  return (yaml ??= requirePackage<typeof Yaml>('yaml'));
}

export function parseYamlFile(text: string, file: string): YamlFile {
  const { LineCounter, isMap, isScalar, isSeq, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  const problems: ConfigProblem[] = [...doc.errors, ...doc.warnings].map((error) => {
    const { line, col } = at(error.pos[0]);
    return { file, line, col, path: '', message: error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') };
  });

  const positionOf = (path: KeyPath, options: { key?: boolean } = {}) => {
    // Walk down as far as the path exists; a missing leaf points at its nearest existing parent.
    let node: Node | null = doc.contents;
    let keyNode: Node | null = null;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = (pair.value as Node | null) ?? keyNode;
      } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
        keyNode = null;
        node = node.items[part] as Node;
      } else {
        break;
      }
    }
    const target = options.key && keyNode ? keyNode : node;
    return at(target?.range?.[0] ?? 0);
  };

  return { file, value: problems.length ? undefined : doc.toJS({ maxAliasCount: 100 }), problems, positionOf };
}
