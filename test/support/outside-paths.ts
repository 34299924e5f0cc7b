// Finds references to paths outside the repository in the files a fresh clone must be able to use on
// its own: a relative path (`../x`) is resolved against the directory of the file it is written in,
// as imports, `new URL(…, import.meta.url)` and Markdown links are, and must stay inside the root.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface OutsideReference {
  readonly file: string;   // relative to the root
  readonly line: number;
  readonly path: string;   // as written
}

// A `../` sequence starting a token (after a quote, space, bracket or `=`); `/a/../b` inside a URL
// path is not a file reference and is left alone.
const RELATIVE = /(?:^|[\s'"`(=[])((?:\.\.\/)+[^\s'"`)\]>,;]*)/g;

/** Whether walking `written` from the file's directory ever climbs above the root: a path that
 * leaves and re-enters (`../../<checkout name>/x`) works only under one folder name, so it counts. */
function leavesRoot(written: string, file: string, root: string): boolean {
  let depth = relative(root, dirname(resolve(root, file))).split(sep).filter(Boolean).length;
  for (const segment of written.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '.' && segment !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

export function outsideReferences(text: string, file: string, root: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  text.split('\n').forEach((content, index) => {
    for (const match of content.matchAll(RELATIVE)) {
      const written = match[1]!;
      if (leavesRoot(written, file, root)) found.push({ file, line: index + 1, path: written });
    }
  });
  return found;
}

const SKIP = new Set(['node_modules', '.git', 'dist']);

/** README.md and every file under the given directories, relative to the root. */
export function filesToGuard(root: string, directories: readonly string[]): string[] {
  const out = ['README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      if (SKIP.has(name)) continue;
      const path = join(dir, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  for (const dir of directories) walk(dir);
  return out;
}

export function readText(root: string, file: string): string {
  return readFileSync(join(root, file), 'utf8');
}
