// What a TypeScript file imports, read with a real TypeScript parser (oxc): `import`, `import type`,
// `export ... from`, `export type ... from`, `import()` with a literal, and `import('x').T` in types.
import { parseSync } from 'oxc-parser';

interface Node {
  readonly type?: string;
  readonly [key: string]: unknown;
}

/** Every `import('x')` used as a type (TSImportType): the module table does not list those. */
function typeImports(node: unknown, found: string[]): void {
  if (Array.isArray(node)) {
    for (const child of node) typeImports(child, found);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as Node;
  if (n.type === 'TSImportType') {
    const value = (n['source'] as { value?: unknown } | undefined)?.value;
    if (typeof value === 'string') found.push(value);
  }
  for (const key of Object.keys(n)) if (key !== 'parent') typeImports(n[key], found);
}

/** The module specifiers `source` (the text of `file`) refers to, each once, sorted. */
export function importSpecifiers(file: string, source: string): string[] {
  const { module, program, errors } = parseSync(file, source);
  if (errors.length > 0) throw new Error(`${file}: ${errors[0]!.message}`);
  const found: string[] = [];
  for (const entry of module.staticImports) found.push(entry.moduleRequest.value);
  for (const entry of module.staticExports) for (const item of entry.entries) if (item.moduleRequest) found.push(item.moduleRequest.value);
  for (const entry of module.dynamicImports) {
    const literal = /^(['"`])([^'"`]*)\1$/.exec(source.slice(entry.moduleRequest.start, entry.moduleRequest.end));
    if (literal) found.push(literal[2]!);
  }
  typeImports(program, found);
  return [...new Set(found)].sort();
}
