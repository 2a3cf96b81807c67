import { copyFile, link, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LiveWindow } from './live-window';
import { PLAYLIST_NAME, type LiveRecording } from './ports';

/**
 * A live session served from a recording instead of its own ffmpeg: each step links the recording's
 * new segments into the session's folder under the session's own numbers and rewrites the session's
 * playlist (see LiveWindow). The folder holds links, never the recording's files themselves, so
 * removing it (stop, failure) leaves the recording alone, and the recording's retention deleting a
 * segment does not pull it from under a player.
 */
export class RecordingReuse {
  private readonly window: LiveWindow;
  private stepping = false;

  constructor(
    readonly source: LiveRecording,
    private readonly dir: string,
    firstNumber: number,
  ) {
    this.window = new LiveWindow(firstNumber);
  }

  /** Takes in the recording's new segments; the number of segments added (0: nothing new, or a step already running). */
  async step(): Promise<number> {
    if (this.stepping) return 0;
    this.stepping = true;
    try {
      let added = 0;
      const evicted: string[] = [];
      for (const segment of this.window.fresh(await this.source.recent())) {
        const name = path.join(this.dir, `${path.basename(segment.file)}.link`);
        // A hard link shares the bytes; another filesystem gets a copy. Gone already (retention): skipped.
        const linked = await link(segment.file, name).then(
          () => true,
          () =>
            copyFile(segment.file, name).then(
              () => true,
              () => false,
            ),
        );
        if (!linked) continue;
        const pushed = this.window.push(segment);
        await rename(name, path.join(this.dir, pushed.name));
        evicted.push(...pushed.evicted);
        added += 1;
      }
      if (added > 0) {
        const temporary = path.join(this.dir, `${PLAYLIST_NAME}.tmp`);
        // Renamed into place, so a playlist request never reads half of one.
        await writeFile(temporary, this.window.playlist()!);
        await rename(temporary, path.join(this.dir, PLAYLIST_NAME));
        for (const name of evicted) await unlink(path.join(this.dir, name)).catch(() => undefined);
      }
      return added;
    } finally {
      this.stepping = false;
    }
  }
}
