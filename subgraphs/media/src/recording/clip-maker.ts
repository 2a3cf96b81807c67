import { copyFile, link, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../../lib/logging/logger';
import type { ClipRecord, RecordingStore, RemuxToMp4 } from './ports';
import type { RecorderManager } from './recorder-manager';
import type { RecordedSegment } from './segment-index';

export interface ClipMakerOptions {
  /** CLIPS_DIR: one folder per clip (`<eventId>/`: the segments, `index.m3u8`, `clip.mp4`). */
  dir: string;
  me: string;
  preMs: number;
  postMs: number;
  /** CLIP_RETENTION_DAYS: a READY clip's files are kept this long. */
  retentionMs: number;
  recorders: Pick<RecorderManager, 'recorderOf'>;
  store: RecordingStore;
  remux: RemuxToMp4;
  logger: Logger;
}

export const CLIP_PLAYLIST = 'index.m3u8';
export const CLIP_MP4 = 'clip.mp4';

/**
 * Cuts the clip of every event of a camera this service records, as the events arrive: PENDING
 * until the window [occurredAt - pre, occurredAt + post] is on disk, then READY (the covering
 * segments hard-linked into the clip's own folder, so the rolling deletion does not touch them, a
 * VOD playlist of them, and one MP4 remuxed by stream copy), or UNAVAILABLE with the reason.
 */
export class ClipMaker {
  private readonly pending = new Map<string, ClipRecord>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(private readonly options: ClipMakerOptions) {}

  start(tickMs = 1000): void {
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** An event was recorded: its clip is made here if this service records its camera. */
  async onEventRecorded(eventId: string, cameraId: string, occurredAt: Date): Promise<void> {
    if (!this.options.recorders.recorderOf(cameraId)) return;
    const clip: ClipRecord = {
      eventId,
      cameraId,
      status: 'PENDING',
      from: new Date(occurredAt.getTime() - this.options.preMs),
      to: new Date(occurredAt.getTime() + this.options.postMs),
      owner: this.options.me,
      reason: null,
      readyAt: null,
    };
    if (!(await this.options.store.insertClip(clip))) return;
    this.pending.set(eventId, clip);
    await this.advance(clip);
  }

  /** Whether the clip's files are on this service's disk. */
  async hasFiles(eventId: string): Promise<boolean> {
    return stat(path.join(this.options.dir, eventId, CLIP_PLAYLIST)).then(
      () => true,
      () => false,
    );
  }

  /** Deletes the files of clips older than CLIP_RETENTION_DAYS and marks them UNAVAILABLE. */
  async sweepRetention(now = Date.now()): Promise<void> {
    for (const eventId of await readdir(this.options.dir).catch(() => [] as string[])) {
      const folder = path.join(this.options.dir, eventId);
      const made = await stat(folder).then(
        (info) => info.mtimeMs,
        () => now,
      );
      if (now - made < this.options.retentionMs) continue;
      await rm(folder, { recursive: true, force: true });
      const clip = await this.options.store.clip(eventId).catch(() => null);
      if (clip?.status === 'READY') await this.options.store.saveClip({ ...clip, status: 'UNAVAILABLE', reason: 'past clip retention' }).catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const clip of [...this.pending.values()]) await this.advance(clip);
    } finally {
      this.ticking = false;
    }
  }

  private async advance(clip: ClipRecord): Promise<void> {
    const recorder = this.options.recorders.recorderOf(clip.cameraId);
    const coverage = recorder
      ? recorder.index.cover(clip.from.getTime(), clip.to.getTime(), Date.now())
      : ({ kind: 'missing', reason: 'the camera is no longer recorded by this media service' } as const);
    if (coverage.kind === 'pending') return;
    this.pending.delete(clip.eventId);
    try {
      if (coverage.kind === 'missing' || !recorder) {
        await this.options.store.saveClip({ ...clip, status: 'UNAVAILABLE', reason: coverage.kind === 'missing' ? coverage.reason : 'not recorded' });
        return;
      }
      await this.cut(
        clip.eventId,
        coverage.segments.map((segment) => ({ segment, file: recorder.fileOf(segment) })),
      );
      await this.options.store.saveClip({ ...clip, status: 'READY', readyAt: new Date() });
      this.options.logger.info({ eventId: clip.eventId, cameraId: clip.cameraId, segments: coverage.segments.length }, 'clip ready');
    } catch (error) {
      this.options.logger.warn({ eventId: clip.eventId, err: (error as Error).message }, 'clip not made');
      await this.options.store
        .saveClip({ ...clip, status: 'UNAVAILABLE', reason: `the clip could not be made: ${(error as Error).message}` })
        .catch(() => undefined);
    }
  }

  private async cut(eventId: string, parts: ReadonlyArray<{ segment: RecordedSegment; file: string }>): Promise<void> {
    const folder = path.join(this.options.dir, eventId);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    const names: string[] = [];
    for (const [i, part] of parts.entries()) {
      const name = `seg_${String(i).padStart(5, '0')}.ts`;
      // A hard link shares the recording's bytes and outlives its deletion; another filesystem gets a copy.
      await link(part.file, path.join(folder, name)).catch(() => copyFile(part.file, path.join(folder, name)));
      names.push(name);
    }
    const target = Math.max(1, ...parts.map((part) => Math.ceil(part.segment.durationMs / 1000)));
    const playlist = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      `#EXT-X-TARGETDURATION:${target}`,
      '#EXT-X-MEDIA-SEQUENCE:0',
      ...parts.flatMap((part, i) => [
        `#EXT-X-PROGRAM-DATE-TIME:${new Date(part.segment.start).toISOString()}`,
        `#EXTINF:${(part.segment.durationMs / 1000).toFixed(3)},`,
        names[i]!,
      ]),
      '#EXT-X-ENDLIST',
      '',
    ].join('\n');
    await this.options.remux(
      names.map((name) => path.join(folder, name)),
      path.join(folder, CLIP_MP4),
    );
    // The playlist last: its presence marks a complete clip (hasFiles).
    await writeFile(path.join(folder, CLIP_PLAYLIST), playlist);
  }
}
