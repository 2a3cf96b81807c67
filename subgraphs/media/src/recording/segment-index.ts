/** One recorded segment: its file (in the recorder's folder), wall-clock start and length, size. */
export interface RecordedSegment {
  name: string;
  /** Wall-clock start in ms (from ffmpeg's EXT-X-PROGRAM-DATE-TIME). */
  start: number;
  durationMs: number;
  bytes: number;
}

/** The segments a playlist lists with their wall-clock start (EXT-X-PROGRAM-DATE-TIME before each). Pure. */
export function parsePlaylist(text: string): Array<Omit<RecordedSegment, 'bytes'>> {
  const segments: Array<Omit<RecordedSegment, 'bytes'>> = [];
  let start: number | undefined;
  let durationMs: number | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      const parsed = Date.parse(line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length).replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
      start = Number.isNaN(parsed) ? undefined : parsed;
    } else if (line.startsWith('#EXTINF:')) {
      durationMs = Math.round(Number.parseFloat(line.slice('#EXTINF:'.length)) * 1000);
    } else if (line !== '' && !line.startsWith('#')) {
      if (start !== undefined && durationMs !== undefined && Number.isFinite(durationMs)) segments.push({ name: line, start, durationMs });
      start = start !== undefined && durationMs !== undefined ? start + durationMs : undefined;
      durationMs = undefined;
    }
  }
  return segments;
}

/** What a clip window finds in a recording. */
export type Coverage = { kind: 'covered'; segments: RecordedSegment[] } | { kind: 'pending' } | { kind: 'missing'; reason: string };

/** A gap longer than this between two segments means the camera was not recorded then. */
const GAP_TOLERANCE_MS = 1500;
/** How long after a window's end its last segment may still be on its way to disk. */
const WRITE_GRACE_MS = 8000;

/**
 * A camera's recorded segments, oldest first: what clips are cut from and retention prunes. Pure
 * (the recorder feeds it what ffmpeg listed, and deletes the files it prunes).
 */
export class SegmentIndex {
  private readonly segments: RecordedSegment[] = [];
  private readonly names = new Set<string>();

  constructor(initial: readonly RecordedSegment[] = []) {
    for (const segment of initial) this.add(segment);
  }

  /** Adds a segment not known yet (by name); false if it was known. */
  add(segment: RecordedSegment): boolean {
    if (this.names.has(segment.name)) return false;
    this.names.add(segment.name);
    let at = this.segments.length;
    while (at > 0 && this.segments[at - 1]!.start > segment.start) at -= 1;
    this.segments.splice(at, 0, segment);
    return true;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  get all(): readonly RecordedSegment[] {
    return this.segments;
  }

  get bytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
  }

  get oldest(): RecordedSegment | undefined {
    return this.segments[0];
  }

  /** End of the newest segment (ms), or undefined before the first. */
  get recordedUntil(): number | undefined {
    const last = this.segments.at(-1);
    return last ? last.start + last.durationMs : undefined;
  }

  /** Removes and returns the segments that ended before `beforeMs`. */
  pruneBefore(beforeMs: number): RecordedSegment[] {
    let count = 0;
    while (count < this.segments.length && this.segments[count]!.start + this.segments[count]!.durationMs <= beforeMs) count += 1;
    return this.removeOldest(count);
  }

  /** Removes and returns the `count` oldest segments. */
  removeOldest(count: number): RecordedSegment[] {
    const removed = this.segments.splice(0, count);
    for (const segment of removed) this.names.delete(segment.name);
    return removed;
  }

  /**
   * The segments covering [from, to]: `pending` while the recording has not reached `to` yet,
   * `missing` when part of the window was never recorded (or is gone), else the covering segments.
   */
  cover(from: number, to: number, now: number): Coverage {
    const oldest = this.segments[0];
    const until = this.recordedUntil;
    const waiting = now < to + WRITE_GRACE_MS;
    if (!oldest || until === undefined) return waiting ? { kind: 'pending' } : { kind: 'missing', reason: 'nothing was recorded' };
    if (oldest.start > from + GAP_TOLERANCE_MS) {
      return { kind: 'missing', reason: 'the window starts before the oldest recorded video (recording began later, or it is past retention)' };
    }
    if (until < to) return waiting ? { kind: 'pending' } : { kind: 'missing', reason: 'the camera was not recorded until the end of the window (unreachable)' };
    const covering = this.segments.filter((segment) => segment.start + segment.durationMs > from && segment.start < to);
    for (let i = 1; i < covering.length; i += 1) {
      const previous = covering[i - 1]!;
      if (covering[i]!.start - (previous.start + previous.durationMs) > GAP_TOLERANCE_MS) {
        return { kind: 'missing', reason: 'the camera was unreachable during part of the window' };
      }
    }
    return covering.length > 0 ? { kind: 'covered', segments: covering } : { kind: 'missing', reason: 'nothing recorded in the window' };
  }
}
