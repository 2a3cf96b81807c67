import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root, found from this file whether it runs from source (tests) or from dist/. */
function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot(__dirname);
export const schemaDir = path.join(repoRoot, 'schema');
