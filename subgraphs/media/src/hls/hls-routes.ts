import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { relayGet } from '../../../../lib/http/relay-get';
import type { Logger } from '../../../../lib/logging/logger';
import { PLAYLIST_NAME, SEGMENT_PATTERN } from '../sessions/ports';
import { SESSION_ID_PATTERN } from '../sessions/session';
import type { LinkSigner } from './link-signer';
import { signPlaylist } from './playlist-signing';

export interface HlsRoutesOptions {
  hlsDir: string;
  signer: LinkSigner;
  /** A playlist request means somebody watches: it keeps the session from idling out. */
  onPlaylistRequest(sessionId: string): void;
  /** Where the session's files are: here, at another media service, or nowhere. */
  locate(sessionId: string): Promise<'here' | { url: string } | null>;
  logger: Logger;
}

/** Marks a request one media service relays to another: it is answered there or not at all (no loops). */
export const RELAYED_HEADER = 'x-sightline-relayed';

/**
 * GET /hls/<sessionId>/<file>?exp=..&sig=..  Only a session id and one of the two file shapes are
 * ever joined to the folder, so no request can name a path outside its session's folder; unknown
 * shapes are 404 before the signature is even looked at, bad or expired signatures are 403. A
 * session another media service runs is relayed to it, once (a relayed request is never relayed again).
 */
export function hlsRouter(options: HlsRoutesOptions): express.Router {
  const router = express.Router();
  router.get('/:sessionId/:file', async (req, res) => {
    const { sessionId, file } = req.params;
    const isPlaylist = file === PLAYLIST_NAME;
    if (!SESSION_ID_PATTERN.test(sessionId) || (!isPlaylist && !SEGMENT_PATTERN.test(file))) {
      res.status(404).type('text/plain').send('not found');
      return;
    }
    const verdict = options.signer.verify(sessionId, req.query.exp, req.query.sig);
    if (verdict !== 'ok') {
      res
        .status(403)
        .type('text/plain')
        .send(verdict === 'expired' ? 'link expired' : 'invalid link');
      return;
    }
    let where: Awaited<ReturnType<HlsRoutesOptions['locate']>>;
    try {
      where = await options.locate(sessionId);
    } catch (error) {
      options.logger.warn({ sessionId, err: (error as Error).message }, 'hls owner lookup failed');
      res.status(503).type('text/plain').send('media store unavailable');
      return;
    }
    if (where !== 'here' && where !== null && req.headers[RELAYED_HEADER] === undefined) {
      // Another media service runs this session (a link handed out before a takeover, or through another node).
      const query = new URLSearchParams({ exp: String(req.query.exp), sig: String(req.query.sig) });
      relayGet(req, res, [new URL(`/hls/${sessionId}/${file}?${query.toString()}`, where.url)], { [RELAYED_HEADER]: '1' });
      return;
    }
    const filePath = path.join(options.hlsDir, sessionId, file);
    res.setHeader('access-control-allow-origin', '*');
    try {
      if (isPlaylist) {
        options.onPlaylistRequest(sessionId);
        const playlist = await readFile(filePath, 'utf8');
        res
          .status(200)
          .type('application/vnd.apple.mpegurl')
          .setHeader('cache-control', 'no-cache, no-store')
          .send(signPlaylist(playlist, `exp=${String(req.query.exp)}&sig=${String(req.query.sig)}`));
        return;
      }
      const info = await stat(filePath);
      res.status(200).type('video/mp2t').setHeader('content-length', String(info.size)).setHeader('cache-control', 'private, max-age=60');
      createReadStream(filePath)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.logger.warn({ err: (error as Error).message }, 'hls read failed');
      res.status(404).type('text/plain').send('not found');
    }
  });
  router.use((_req, res) => {
    res.status(404).type('text/plain').send('not found');
  });
  return router;
}
