import type { LiveSegment } from './ports';

/** The name of a session's segment `number` (what SEGMENT_PATTERN matches, as ffmpeg names them). */
export const segmentName = (number: number): string => `seg_${String(number).padStart(5, '0')}.ts`;

/** A segment that starts further than this from where the previous one ended is a break in the video. */
const GAP_TOLERANCE_MS = 1500;

interface WindowEntry extends LiveSegment {
  number: number;
  /** The video does not continue from the previous segment (its source restarted, or skipped). */
  discontinuity: boolean;
}

/**
 * The live playlist of a session that serves a recording's segments: the last `size` segments under
 * the session's own numbers (continuing from `firstNumber`, so a number is never reused), the media
 * sequence moving as segments slide out, a discontinuity where the video breaks. Segments that left
 * the playlist stay `keep` more segments for players a little behind, then are handed back as evicted.
 * Pure: the caller links the files and writes the playlist.
 */
export class LiveWindow {
  private readonly entries: WindowEntry[] = [];
  private nextNumber: number;
  /** Discontinuities of segments evicted altogether (those still kept but unlisted are counted on the fly). */
  private evictedDiscontinuities = 0;
  private newestStart = Number.NEGATIVE_INFINITY;

  constructor(
    firstNumber: number,
    private readonly size = 6,
    private readonly keep = 3,
  ) {
    this.nextNumber = firstNumber;
  }

  /** Of a recording's listed segments, those newer than the newest in the window (at most a playlist's worth). */
  fresh(listed: readonly LiveSegment[]): LiveSegment[] {
    return listed.filter((segment) => segment.start > this.newestStart).slice(-this.size);
  }

  /** Appends a segment: the session's file name for it, and the names of files neither listed nor kept any more. */
  push(segment: LiveSegment): { name: string; evicted: string[] } {
    const previous = this.entries.at(-1);
    const discontinuity = previous !== undefined && Math.abs(segment.start - (previous.start + previous.durationMs)) > GAP_TOLERANCE_MS;
    const entry: WindowEntry = { ...segment, number: this.nextNumber, discontinuity };
    this.nextNumber += 1;
    this.entries.push(entry);
    this.newestStart = segment.start;
    const evicted: string[] = [];
    while (this.entries.length > this.size + this.keep) {
      const gone = this.entries.shift()!;
      if (gone.discontinuity) this.evictedDiscontinuities += 1;
      evicted.push(segmentName(gone.number));
    }
    return { name: segmentName(entry.number), evicted };
  }

  /** How many segments the playlist lists. */
  get length(): number {
    return Math.min(this.entries.length, this.size);
  }

  /** The HLS media playlist (no end tag: it is live), or undefined while there is no segment. */
  playlist(): string | undefined {
    const listed = this.entries.slice(-this.size);
    if (listed.length === 0) return undefined;
    const unlisted = this.entries.slice(0, this.entries.length - listed.length);
    // The discontinuity sequence number of the first listed segment: every break up to and including it.
    const discontinuitySequence = this.evictedDiscontinuities + [...unlisted, listed[0]!].filter((entry) => entry.discontinuity).length;
    // Every EXTINF rounded must fit the target duration; never below 1.
    const target = Math.max(1, ...listed.map((entry) => Math.ceil(entry.durationMs / 1000)));
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      `#EXT-X-TARGETDURATION:${target}`,
      `#EXT-X-MEDIA-SEQUENCE:${listed[0]!.number}`,
      ...(discontinuitySequence > 0 ? [`#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`] : []),
      '#EXT-X-INDEPENDENT-SEGMENTS',
    ];
    listed.forEach((entry, at) => {
      // The first listed segment's break is in the discontinuity sequence already.
      if (entry.discontinuity && at > 0) lines.push('#EXT-X-DISCONTINUITY');
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(entry.start).toISOString()}`);
      lines.push(`#EXTINF:${(entry.durationMs / 1000).toFixed(3)},`);
      lines.push(segmentName(entry.number));
    });
    return `${lines.join('\n')}\n`;
  }
}
