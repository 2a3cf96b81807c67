import type { Membership } from '../cluster/membership';
import type { ClipMaker } from './clip-maker';
import type { ClipRecord, RecorderStatus, RecordingStore } from './ports';
import type { RecorderManager } from './recorder-manager';

/** A PENDING clip whose window ended this long ago was never cut (its media service went away meanwhile). */
const ABANDONED_AFTER_MS = 60_000;

/** What the API reads of recordings and clips, wherever in the services they are kept. */
export function recordingReads(deps: {
  cameras: { get(cameraId: string): { recording: { enabled: boolean } } | undefined };
  recorders: RecorderManager;
  clips: ClipMaker;
  store: RecordingStore;
  membership: Membership;
}) {
  return {
    async recorderOf(cameraId: string): Promise<RecorderStatus | null> {
      if (!deps.cameras.get(cameraId)?.recording.enabled) return null;
      const local = deps.recorders.recorderOf(cameraId)?.status();
      if (local) return local;
      return (
        (await deps.store.status(cameraId)) ?? {
          cameraId,
          state: 'RECONNECTING',
          since: new Date(),
          oldest: null,
          bytes: 0,
          lastError: null,
          owner: '',
          offline: false,
        }
      );
    },

    async clipOf(eventId: string): Promise<ClipRecord | null> {
      const clip = await deps.store.clip(eventId);
      if (clip?.status === 'PENDING' && Date.now() - clip.to.getTime() > ABANDONED_AFTER_MS) {
        return { ...clip, status: 'UNAVAILABLE', reason: 'the clip was not cut: its media service stopped before the window was recorded' };
      }
      return clip;
    },

    /** Where a clip's files are: here, at the media service that cut it, or nowhere. */
    async locateClip(eventId: string): Promise<'here' | { url: string } | null> {
      if (await deps.clips.hasFiles(eventId)) return 'here';
      const clip = await deps.store.clip(eventId);
      if (!clip || clip.owner === deps.membership.id) return null;
      const member = (await deps.membership.live()).find((m) => m.id === clip.owner);
      return member ? { url: member.url } : null;
    },
  };
}
