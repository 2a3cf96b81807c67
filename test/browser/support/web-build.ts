import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../../lib/paths';

const WEB = path.join(repoRoot, 'web');
const INDEX = path.join(WEB, 'dist', 'index.html');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds web/dist (npm run build:web) when it is missing or older than the page's sources. */
export function ensureWebBuild(): void {
  const sources = Math.max(newestSource(path.join(WEB, 'src')), statSync(path.join(WEB, 'index.html')).mtimeMs);
  if (existsSync(INDEX) && statSync(INDEX).mtimeMs >= sources) return;
  execFileSync('npm', ['run', '-s', 'build:web'], { cwd: repoRoot, stdio: 'pipe' });
}
