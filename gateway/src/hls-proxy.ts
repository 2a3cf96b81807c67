import express from 'express';
import { relayGet } from '../../lib/http/relay-get';

const HLS_PATH = /^\/[0-9a-f-]{36}\/(index\.m3u8|seg_\d{1,12}\.ts)(\?[A-Za-z0-9=&_.%-]*)?$/;

/** The media service's base URL (scheme, host, port) from its subgraph URL (…/graphql). */
export const mediaBaseUrlOf = (mediaGraphqlUrl: string): string => new URL(mediaGraphqlUrl).origin;

const PEERS_REFRESH_MS = 5000;

/**
 * The media services the gateway can relay to: its own, then the others it last heard of from its
 * own (`/hls-peers`, every few seconds). Any media service serves any session (it relays to the
 * owner), so when the gateway's own is down, links still play through another one.
 */
class MediaUpstreams {
  private peers: URL[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly own: URL) {
    this.timer = setInterval(() => void this.refresh(), PEERS_REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  targets(path: string): URL[] {
    return [this.own, ...this.peers].map((base) => new URL(path, base));
  }

  private async refresh(): Promise<void> {
    try {
      const response = await fetch(new URL('/hls-peers', this.own), { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return;
      const { urls } = (await response.json()) as { urls?: unknown };
      if (!Array.isArray(urls)) return;
      this.peers = urls
        .filter((url): url is string => typeof url === 'string' && /^https?:\/\//.test(url))
        .map((url) => new URL(url))
        .filter((url) => url.origin !== this.own.origin);
    } catch {
      // its own media service is down: the peers last heard of stay
    }
  }
}

const CLIP_PATH = /^\/[0-9a-f-]{36}\/(index\.m3u8|clip\.mp4|seg_\d{1,12}\.ts)(\?[A-Za-z0-9=&_.%-]*)?$/;

/**
 * `/hls/*` and `/clips/*` through the gateway: streams a media service's answer as is (status, body,
 * the few headers a player needs). The media service checks the signed link; the gateway only
 * relays, so a player needs nothing but the link. Mount with
 * `const relay = mediaRelay(mediaBaseUrlOf(...)); app.use('/hls', relay.hls); app.use('/clips', relay.clips)`.
 */
export function mediaRelay(mediaBaseUrl: string): { hls: express.Router; clips: express.Router } {
  const upstreams = new MediaUpstreams(new URL(mediaBaseUrl));
  return { hls: relayRouter(upstreams, '/hls', HLS_PATH), clips: relayRouter(upstreams, '/clips', CLIP_PATH) };
}

function relayRouter(upstreams: MediaUpstreams, prefix: string, shape: RegExp): express.Router {
  const router = express.Router();
  router.use((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).setHeader('allow', 'GET, HEAD').end();
      return;
    }
    // req.url is what follows the mount point: /<id>/<file>?exp=..&sig=.. Only that shape is
    // relayed, so no `..` or encoded path can reach anything else on the media service.
    if (!shape.test(req.url)) {
      res.status(404).type('text/plain').send('not found');
      return;
    }
    // A Range header (seeking in an MP4) is passed on.
    relayGet(req, res, upstreams.targets(`${prefix}${req.url}`), req.headers.range ? { range: req.headers.range } : {});
  });
  return router;
}
