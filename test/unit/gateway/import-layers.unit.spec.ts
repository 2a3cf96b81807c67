import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../../lib/paths';

// The gateway's folders are layers: a module imports only from its own folder and from layers
// below it, so no part reaches back up into what wires it. gateway/src itself (main.ts, server.ts
// and the modules it wires) is the top.
const LAYER: Readonly<Record<string, number>> = {
  context: 0,
  auth: 1,
  protection: 1,
  observability: 2,
  subscriptions: 2,
  http: 3,
  ws: 3,
  '.': 4,
};

const source = path.join(repoRoot, 'gateway/src');

function modules(dir = source): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) return modules(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** Every import of one gateway module by another: [importer, imported], as paths under gateway/src. */
function imports(): Array<[string, string]> {
  return modules().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)]
      .map((match) => path.relative(source, path.resolve(path.dirname(file), match[1] as string)))
      .filter((target) => !target.startsWith('..'))
      .map((target): [string, string] => [path.relative(source, file), target]),
  );
}

describe('gateway import layers', () => {
  it('knows the layer of every folder', () => {
    const folders = [...new Set(modules().map((file) => path.dirname(path.relative(source, file))))];
    expect(folders.filter((folder) => LAYER[folder] === undefined)).toEqual([]);
  });

  it('has no import from a layer back up to its own level or above, nor of server.ts but by main.ts', () => {
    const upward = imports().filter(([from, to]) => {
      const [fromFolder, toFolder] = [path.dirname(from), path.dirname(to)];
      if (fromFolder === toFolder) return to === 'server' && from !== 'main.ts';
      return (LAYER[toFolder] ?? Infinity) >= (LAYER[fromFolder] ?? -Infinity);
    });
    expect(upward).toEqual([]);
  });
});
