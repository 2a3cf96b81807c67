import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Response, type Router } from 'express';
import { repoRoot } from '../../lib/paths';

export const DEFAULT_DASHBOARD_DIR = path.join(repoRoot, 'web', 'dist');

// The page talks only to its own origin: /graphql (HTTP and graphql-ws) and /hls. hls.js plays
// through MediaSource (blob: media) and runs its demuxer in a blob: worker; Chart.js sets inline styles.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self' ws: wss:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function pageHeaders(res: Response): void {
  res.set({
    'Cache-Control': 'no-cache',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

/**
 * Serves the built dashboard (web/dist, `npm run build:web`): index.html at `/` (no-cache, so a
 * deploy shows at once) and the content-hashed files under /assets/ as immutable for a year.
 * Only `/` and `/index.html` fall back to the page; every other path passes to the next handler,
 * so /graphql, /hls, /healthz, /readyz and /metrics are never shadowed.
 */
export function dashboard(options: { dir?: string } = {}): Router {
  const dir = options.dir ?? DEFAULT_DASHBOARD_DIR;
  const indexFile = path.join(dir, 'index.html');
  const router = express.Router();

  router.get(['/', '/index.html'], (_req, res) => {
    // Checked per request: a build made after the gateway started is picked up without a restart.
    if (!existsSync(indexFile)) {
      res.status(503).type('text/plain').set('Cache-Control', 'no-store').send('The dashboard is not built: run `npm run build:web`.\n');
      return;
    }
    pageHeaders(res);
    res.sendFile(indexFile);
  });

  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      redirect: false,
      // A missing hashed asset is a 404 here, never the page: a stale tab must not parse HTML as JS.
      fallthrough: false,
    }),
  );

  return router;
}
