import http from 'node:http';
import https from 'node:https';
import type express from 'express';

/** The headers a player needs from an HLS answer; nothing else is passed on. */
const FORWARDED_HEADERS = ['content-type', 'content-length', 'cache-control', 'access-control-allow-origin', 'last-modified', 'etag'];
const UPSTREAM_TIMEOUT_MS = 10000;

/**
 * Answers `req` with what a GET (or HEAD) of `target` answers: status, body streamed as it comes, the
 * few headers a player needs. 502 when the target cannot be reached. Used by the gateway's `/hls`
 * relay to its media service, and by a media service relaying to the one that owns a session.
 */
export function relayGet(req: express.Request, res: express.Response, target: URL, headers: Record<string, string> = {}): void {
  const client = target.protocol === 'https:' ? https : http;
  const upstream = client.request(
    target,
    { method: req.method === 'HEAD' ? 'HEAD' : 'GET', headers: { accept: req.headers.accept ?? '*/*', ...headers }, timeout: UPSTREAM_TIMEOUT_MS },
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
}
