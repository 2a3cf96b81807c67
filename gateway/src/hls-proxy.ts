import http from 'node:http';
import https from 'node:https';
import express from 'express';

const FORWARDED_HEADERS = ['content-type', 'content-length', 'cache-control', 'access-control-allow-origin', 'last-modified', 'etag'];
const UPSTREAM_TIMEOUT_MS = 10000;
const HLS_PATH = /^\/[0-9a-f-]{36}\/(index\.m3u8|seg_\d{1,12}\.ts)(\?[A-Za-z0-9=&_.%-]*)?$/;

/** The media service's base URL (scheme, host, port) from its subgraph URL (…/graphql). */
export const mediaBaseUrlOf = (mediaGraphqlUrl: string): string => new URL(mediaGraphqlUrl).origin;

/**
 * `/hls/*` through the gateway: streams the media service's answer as is (status, body, the few
 * headers a player needs). The media service checks the signed link; the gateway only relays, so a
 * player needs nothing but the link. Mount with `app.use('/hls', hlsProxy(mediaBaseUrlOf(...)))`.
 */
export function hlsProxy(mediaBaseUrl: string): express.Router {
  const base = new URL(mediaBaseUrl);
  const client = base.protocol === 'https:' ? https : http;
  const router = express.Router();
  router.use((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).setHeader('allow', 'GET, HEAD').end();
      return;
    }
    // req.url is what follows the mount point: /<sessionId>/<file>?exp=..&sig=.. Only that shape is
    // relayed, so no `..` or encoded path can reach anything else on the media service.
    if (!HLS_PATH.test(req.url)) {
      res.status(404).type('text/plain').send('not found');
      return;
    }
    const target = new URL(`/hls${req.url}`, base);
    const upstream = client.request(
      target,
      { method: req.method, headers: { accept: req.headers.accept ?? '*/*' }, timeout: UPSTREAM_TIMEOUT_MS },
      (answer) => {
        res.status(answer.statusCode ?? 502);
        for (const name of FORWARDED_HEADERS) {
          const value = answer.headers[name];
          if (value !== undefined) res.setHeader(name, value);
        }
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('media service timed out')));
    upstream.on('error', () => {
      if (!res.headersSent) res.status(502).type('text/plain').send('media service unavailable');
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end();
  });
  return router;
}
