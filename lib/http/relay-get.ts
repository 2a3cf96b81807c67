import http from 'node:http';
import https from 'node:https';
import type express from 'express';

/** The headers a player needs from an HLS answer; nothing else is passed on. */
const FORWARDED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'cache-control',
  'access-control-allow-origin',
  'last-modified',
  'etag',
];
const UPSTREAM_TIMEOUT_MS = 10000;

/**
 * Answers `req` with what a GET (or HEAD) of the first reachable target answers: status, body
 * streamed as it comes, the few headers a player needs. A target that cannot be reached (refused,
 * timed out before answering) passes the request to the next; 502 when none answers. Used by the
 * gateway's `/hls` relay (its media service, then the others it knows), and by a media service
 * relaying to the one that owns a session.
 */
export function relayGet(req: express.Request, res: express.Response, targets: readonly URL[], headers: Record<string, string> = {}): void {
  const [target, ...rest] = targets;
  if (!target) {
    if (!res.headersSent) res.status(502).type('text/plain').send('media service unavailable');
    return;
  }
  const client = target.protocol === 'https:' ? https : http;
  let answered = false;
  const upstream = client.request(
    target,
    { method: req.method === 'HEAD' ? 'HEAD' : 'GET', headers: { accept: req.headers.accept ?? '*/*', ...headers }, timeout: UPSTREAM_TIMEOUT_MS },
    (answer) => {
      answered = true;
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
    if (!answered && !res.destroyed) relayGet(req, res, rest, headers);
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.end();
}
