import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import type { Logger } from '../../../../lib/logging/logger';
import { CLIP_MP4, CLIP_PLAYLIST } from '../recording/clip-maker';
import { SEGMENT_PATTERN } from '../sessions/ports';
import { SESSION_ID_PATTERN } from '../sessions/session';
import type { LinkSigner } from './link-signer';
import { signPlaylist } from './playlist-signing';
import { answeredBeforeServing, type Locate } from './signed-files';

export interface ClipRoutesOptions {
  clipsDir: string;
  signer: LinkSigner;
  /** Where the clip's files are: here, at another media service, or nowhere. */
  locate: Locate;
  logger: Logger;
}

/** What a clip link is signed for: apart from live session links, so one never opens the other. */
export const clipLinkId = (eventId: string): string => `clip:${eventId}`;

/**
 * GET /clips/<eventId>/(index.m3u8 | seg_<n>.ts | clip.mp4)?exp=..&sig=..  Same rules as /hls: only
 * those shapes are joined to the folder, bad or expired signatures are 403, a clip kept by another
 * media service is relayed to it once.
 */
export function clipRouter(options: ClipRoutesOptions): express.Router {
  const router = express.Router();
  router.get('/:eventId/:file', async (req, res) => {
    const { eventId, file } = req.params;
    if (!SESSION_ID_PATTERN.test(eventId) || (file !== CLIP_PLAYLIST && file !== CLIP_MP4 && !SEGMENT_PATTERN.test(file))) {
      res.status(404).type('text/plain').send('not found');
      return;
    }
    const query = `exp=${String(req.query.exp)}&sig=${String(req.query.sig)}`;
    const relayPath = `/clips/${eventId}/${file}`;
    if (
      await answeredBeforeServing(req, res, {
        signer: options.signer,
        signedId: clipLinkId(eventId),
        id: eventId,
        locate: options.locate,
        relayPath,
        logger: options.logger,
      })
    )
      return;
    const filePath = path.join(options.clipsDir, eventId, file);
    res.setHeader('access-control-allow-origin', '*');
    if (file === CLIP_PLAYLIST) {
      try {
        const playlist = await readFile(filePath, 'utf8');
        res.status(200).type('application/vnd.apple.mpegurl').setHeader('cache-control', 'private, max-age=60').send(signPlaylist(playlist, query));
      } catch {
        res.status(404).type('text/plain').send('not found');
      }
      return;
    }
    // sendFile answers Range requests, which browsers use to play and seek an MP4.
    res.sendFile(
      filePath,
      { headers: { 'content-type': file === CLIP_MP4 ? 'video/mp4' : 'video/mp2t', 'cache-control': 'private, max-age=3600' } },
      (error) => {
        if (error && !res.headersSent) res.status(404).type('text/plain').send('not found');
      },
    );
  });
  router.use((_req, res) => {
    res.status(404).type('text/plain').send('not found');
  });
  return router;
}
