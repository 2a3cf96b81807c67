import type { Db } from 'mongodb';
import { engine, insertIfAbsent } from '../../../../lib/event-store/mongo-collections';
import type { ClipRecord, RecorderStatus, RecordingStore } from '../recording/ports';

type StatusDoc = Omit<RecorderStatus, 'cameraId'> & { _id: string };
type ClipDoc = Omit<ClipRecord, 'eventId'> & { _id: string };

/** `media_recorders` (`_id` = camera id) and `media_clips` (`_id` = event id): `_id` lookups, inserts and replaces only. */
export class MongoRecordingStore implements RecordingStore {
  constructor(private readonly db: Db) {}

  private get statuses() {
    return this.db.collection<StatusDoc>('media_recorders');
  }

  private get clips() {
    return this.db.collection<ClipDoc>('media_clips');
  }

  async saveStatus({ cameraId, ...rest }: RecorderStatus): Promise<void> {
    await engine(() => this.statuses.replaceOne({ _id: cameraId }, rest, { upsert: true }));
  }

  async status(cameraId: string): Promise<RecorderStatus | null> {
    const doc = await engine(() => this.statuses.findOne({ _id: cameraId }));
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return { cameraId: _id, ...rest };
  }

  insertClip({ eventId, ...rest }: ClipRecord): Promise<boolean> {
    return insertIfAbsent(this.clips, { _id: eventId, ...rest });
  }

  async saveClip({ eventId, ...rest }: ClipRecord): Promise<void> {
    await engine(() => this.clips.replaceOne({ _id: eventId }, rest, { upsert: true }));
  }

  async clip(eventId: string): Promise<ClipRecord | null> {
    const doc = await engine(() => this.clips.findOne({ _id: eventId }));
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return { eventId: _id, ...rest };
  }
}
