import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import type { Logger } from '../../../../lib/logging/logger';
import { PLAYLIST_NAME, SEGMENT_PATTERN } from '../sessions/ports';
import { SESSION_ID_PATTERN } from '../sessions/session';
import type { LinkSigner } from './link-signer';
import { signPlaylist } from './playlist-signing';
import { answeredBeforeServing, type Locate } from './signed-files';

export interface HlsRoutesOptions {
  hlsDir: string;
  signer: LinkSigner;
  /** A playlist request means somebody watches: it keeps the session from idling out. */
  onPlaylistRequest(sessionId: string): void;
  /** Where the session's files are: here, at another media service, or nowhere. */
  locate: Locate;
  logger: Logger;
}

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
    // Another media service may run this session (a link handed out before a takeover, or through another node).
    const relayPath = `/hls/${sessionId}/${file}`;
    if (
      await answeredBeforeServing(req, res, {
        signer: options.signer,
        signedId: sessionId,
        id: sessionId,
        locate: options.locate,
        relayPath,
        logger: options.logger,
      })
    )
      return;
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
