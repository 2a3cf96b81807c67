import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { RequestContext } from '../../../../lib/auth/identity';
import { AppError } from '../../../../lib/errors/app-error';
import type { StreamStatus } from '../../../../lib/events/stream-status';
import { clipLinkId } from '../hls/clip-routes';
import type { LinkSigner } from '../hls/link-signer';
import type { ClipRecord, RecorderStatus } from '../recording/ports';
import type { SessionManager } from '../sessions/session-manager';
import type { StreamSession } from '../sessions/session';

export interface MediaResolverDeps {
  sessions: SessionManager;
  signer: LinkSigner;
  /** e.g. http://gateway:4000 — links go through the gateway's /hls proxy. */
  publicBaseUrl: string;
  recordings: {
    /** The camera's recorder status; null when recording is off for it. */
    recorderOf(cameraId: string): Promise<RecorderStatus | null>;
    clipOf(eventId: string): Promise<ClipRecord | null>;
  };
}

const requireId = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new AppError('BAD_USER_INPUT', `${name} must be a non-empty id`);
  return value;
};

/** Query, Mutation and the federated Camera / StreamSession entities of the media subgraph. */
export function mediaResolvers({ sessions, signer, publicBaseUrl, recordings }: MediaResolverDeps): GraphQLResolverMap<RequestContext> {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const clipLink = (clip: ClipRecord, file: string) =>
    clip.status === 'READY' ? `${base}/clips/${clip.eventId}/${file}?${signer.query(clipLinkId(clip.eventId))}` : null;
  return {
    Query: {
      streamSessions: (_: unknown, args: { statuses?: StreamStatus[] | null; first?: number | null; after?: string | null }) =>
        sessions.list({
          statuses: args.statuses,
          first: args.first,
          after: args.after === undefined || args.after === null ? null : requireId(args.after, 'after'),
        }),
      streamSession: (_: unknown, args: { id: string }) => sessions.get(requireId(args.id, 'id')),
    },
    Mutation: {
      startStream: (_: unknown, args: { cameraId: string }) => sessions.start(requireId(args.cameraId, 'cameraId')),
      stopStream: (_: unknown, args: { cameraId: string }) => sessions.stop(requireId(args.cameraId, 'cameraId')),
    },
    Camera: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      liveStream: (camera: { id: string }) => sessions.liveStreamOf(camera.id),
      recorder: (camera: { id: string }) => recordings.recorderOf(camera.id),
    },
    Event: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      clip: (event: { id: string }) => recordings.clipOf(event.id),
    },
    EventClip: {
      hlsUrl: (clip: ClipRecord) => clipLink(clip, 'index.m3u8'),
      mp4Url: (clip: ClipRecord) => clipLink(clip, 'clip.mp4'),
    },
    StreamSession: {
      __resolveReference: (reference: { id: string }) => sessions.get(reference.id),
      camera: (session: StreamSession) => ({ id: session.cameraId }),
      hlsUrl: (session: StreamSession) => `${base}/hls/${session.id}/index.m3u8?${signer.query(session.id)}`,
    },
  };
}
