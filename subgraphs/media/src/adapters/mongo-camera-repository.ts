import type { Db } from 'mongodb';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { RECORDING_OFF, type CameraStatus, type RecordingSettings } from '../../../../lib/events/domain-events';
import type { CameraRepository } from '../cameras/camera-store';
import type { MediaCamera } from '../cameras/media-camera';

interface CameraDoc {
  _id: string;
  rtspUrl: string;
  status: CameraStatus;
  /** Absent in documents stored before recordings. */
  recording?: RecordingSettings;
  version: number;
}

const MEDIA_CAMERAS = 'media_cameras';

/** `media_cameras`: one small document per camera, written by `_id` only (fast on FerretDB too). */
export class MongoCameraRepository implements CameraRepository {
  constructor(private readonly db: Db) {}

  async all(): Promise<MediaCamera[]> {
    try {
      const docs = await this.db.collection<CameraDoc>(MEDIA_CAMERAS).find({}).toArray();
      return docs.map((doc) => ({ id: doc._id, rtspUrl: doc.rtspUrl, status: doc.status, recording: doc.recording ?? RECORDING_OFF, version: doc.version }));
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }

  async save(camera: MediaCamera): Promise<void> {
    try {
      const collection = this.db.collection<CameraDoc>(MEDIA_CAMERAS);
      const stored = await collection.findOne({ _id: camera.id }, { projection: { version: 1 } });
      if (stored && stored.version >= camera.version) return;
      await collection.replaceOne(
        { _id: camera.id },
        { rtspUrl: camera.rtspUrl, status: camera.status, recording: camera.recording, version: camera.version },
        { upsert: true },
      );
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }
}
