import { parsePlaylist, SegmentIndex, type RecordedSegment } from '../../../subgraphs/media/src/recording/segment-index';

const T0 = Date.parse('2026-12-02T12:00:00Z');
const seg = (n: number, startOffsetMs = n * 1000, durationMs = 1000): RecordedSegment => ({
  name: `seg_${String(n).padStart(5, '0')}.ts`,
  start: T0 + startOffsetMs,
  durationMs,
  bytes: 100,
});

describe('recorded segments', () => {
  it("reads each segment's wall-clock start and length from ffmpeg's playlist", () => {
    const playlist = [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:7',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-02T12:00:00.500+0000',
      '#EXTINF:1.000000,',
      'seg_00007.ts',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-02T12:00:01.500+0000',
      '#EXTINF:0.960000,',
      'seg_00008.ts',
      '#EXTINF:1.040000,',
      'seg_00009.ts',
    ].join('\n');
    expect(parsePlaylist(playlist)).toEqual([
      { name: 'seg_00007.ts', start: T0 + 500, durationMs: 1000 },
      { name: 'seg_00008.ts', start: T0 + 1500, durationMs: 960 },
      { name: 'seg_00009.ts', start: T0 + 2460, durationMs: 1040 },
    ]);
  });

  it('cuts a window from the covering segments, PENDING until the end is on disk, UNAVAILABLE where not recorded', () => {
    const index = new SegmentIndex([0, 1, 2, 3, 4, 5].map((n) => seg(n)));
    expect(index.add(seg(3))).toBe(false);
    const covered = index.cover(T0 + 1500, T0 + 3500, T0 + 10000);
    expect(covered.kind === 'covered' && covered.segments.map((s) => s.name)).toEqual(['seg_00001.ts', 'seg_00002.ts', 'seg_00003.ts']);
    expect(index.cover(T0 + 4000, T0 + 9000, T0 + 9500)).toEqual({ kind: 'pending' });
    expect(index.cover(T0 + 4000, T0 + 9000, T0 + 30000)).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/unreachable/) });
    expect(index.cover(T0 - 20000, T0 + 2000, T0 + 30000)).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/before the oldest/) });
    const gappy = new SegmentIndex([seg(0), seg(1), seg(9), seg(10)]);
    expect(gappy.cover(T0 + 500, T0 + 9500, T0 + 30000)).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/unreachable during part/) });
  });

  it('prunes the segments that ended before a time, and the oldest first for a budget', () => {
    const index = new SegmentIndex([2, 0, 1, 3].map((n) => seg(n)));
    expect(index.all.map((s) => s.name)).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts', 'seg_00003.ts']);
    expect(index.pruneBefore(T0 + 2000).map((s) => s.name)).toEqual(['seg_00000.ts', 'seg_00001.ts']);
    expect(index.bytes).toBe(200);
    expect(index.removeOldest(1).map((s) => s.name)).toEqual(['seg_00002.ts']);
    expect(index.oldest?.name).toBe('seg_00003.ts');
    expect(index.add(seg(0))).toBe(true);
  });
});
