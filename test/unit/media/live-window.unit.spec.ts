import { LiveWindow, segmentName } from '../../../subgraphs/media/src/sessions/live-window';
import { SEGMENT_PATTERN, type LiveSegment } from '../../../subgraphs/media/src/sessions/ports';

const T0 = Date.parse('2026-12-02T12:00:00Z');
const rec = (n: number, startOffsetMs = n * 1000, durationMs = 1000): LiveSegment => ({
  file: `/rec/cam/seg_${String(n).padStart(5, '0')}.ts`,
  start: T0 + startOffsetMs,
  durationMs,
});
const tag = (playlist: string | undefined, name: string): string | undefined =>
  playlist
    ?.split('\n')
    .find((line) => line.startsWith(`#${name}:`))
    ?.slice(name.length + 2);
const uris = (playlist: string | undefined): string[] => (playlist ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('the live window of a session served from a recording', () => {
  it('lists nothing before the first segment', () => {
    const window = new LiveWindow(0);
    expect(window.playlist()).toBeUndefined();
    expect(window.length).toBe(0);
  });

  it("numbers the recording's segments in the session's own sequence, from the first number given", () => {
    const window = new LiveWindow(40);
    const names = [rec(100), rec(101), rec(102)].map((segment) => window.push(segment).name);
    expect(names).toEqual(['seg_00040.ts', 'seg_00041.ts', 'seg_00042.ts']);
    for (const name of names) expect(SEGMENT_PATTERN.test(name)).toBe(true);
    const playlist = window.playlist();
    expect(tag(playlist, 'EXT-X-MEDIA-SEQUENCE')).toBe('40');
    expect(uris(playlist)).toEqual(names);
    expect(playlist).toContain('#EXTINF:1.000,');
    expect(playlist).toContain(`#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + 100_000).toISOString()}`);
    expect(playlist).not.toContain('#EXT-X-ENDLIST');
    expect(playlist).not.toContain('DISCONTINUITY');
  });

  it('slides: the last six listed, the media sequence moving, files kept three segments more then evicted', () => {
    const window = new LiveWindow(0);
    const evicted: string[] = [];
    for (let n = 0; n < 12; n += 1) evicted.push(...window.push(rec(n)).evicted);
    const playlist = window.playlist();
    expect(window.length).toBe(6);
    expect(tag(playlist, 'EXT-X-MEDIA-SEQUENCE')).toBe('6');
    expect(uris(playlist)).toEqual([6, 7, 8, 9, 10, 11].map(segmentName));
    // 12 pushed, 6 listed, 3 kept for players a little behind: 0, 1, 2 are gone.
    expect(evicted).toEqual([0, 1, 2].map(segmentName));
  });

  it('takes in only what is newer than its newest segment, at most a playlist of it', () => {
    const window = new LiveWindow(0);
    const listed = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => rec(n));
    expect(window.fresh(listed).map((segment) => segment.file)).toEqual(listed.slice(-6).map((segment) => segment.file));
    for (const segment of window.fresh(listed)) window.push(segment);
    expect(window.fresh(listed)).toEqual([]);
    expect(window.fresh([...listed.slice(3), rec(8)])).toEqual([rec(8)]);
  });

  it('marks a break in the video with a discontinuity, and counts it in the sequence once it slides out', () => {
    const window = new LiveWindow(0);
    window.push(rec(0));
    window.push(rec(1));
    // The recorder reconnected: 30 s of nothing.
    window.push(rec(2, 32_000));
    let playlist = window.playlist()!;
    const lines = playlist.split('\n');
    expect(lines[lines.indexOf(segmentName(2)) - 3]).toBe('#EXT-X-DISCONTINUITY');
    expect(tag(playlist, 'EXT-X-DISCONTINUITY-SEQUENCE')).toBeUndefined();
    // Small jitter between segments is no break.
    window.push(rec(3, 33_000 + 400, 900));
    expect(window.playlist()!.match(/#EXT-X-DISCONTINUITY$/gm)).toHaveLength(1);

    for (let n = 4; n < 8; n += 1) window.push(rec(n, 30_000 + n * 1000));
    // segment 2 (the break) is now the first listed: its break is in the discontinuity sequence.
    playlist = window.playlist()!;
    expect(uris(playlist)[0]).toBe(segmentName(2));
    expect(tag(playlist, 'EXT-X-DISCONTINUITY-SEQUENCE')).toBe('1');
    expect(playlist).not.toMatch(/#EXT-X-DISCONTINUITY$/m);
    // It stays 1 as the break slides further out, and after its file is evicted.
    for (let n = 8; n < 20; n += 1) {
      window.push(rec(n, 30_000 + n * 1000));
      expect(tag(window.playlist(), 'EXT-X-DISCONTINUITY-SEQUENCE')).toBe('1');
    }
  });

  it('sets the target duration to the longest listed segment, rounded up', () => {
    const window = new LiveWindow(0);
    window.push(rec(0, 0, 1000));
    window.push(rec(1, 1000, 2400));
    expect(tag(window.playlist(), 'EXT-X-TARGETDURATION')).toBe('3');
    expect(window.playlist()).toContain('#EXTINF:2.400,');
  });
});
