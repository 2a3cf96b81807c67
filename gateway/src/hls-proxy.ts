import express from 'express';
import { relayGet } from '../../lib/http/relay-get';

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
    relayGet(req, res, new URL(`/hls${req.url}`, base));
  });
  return router;
}
