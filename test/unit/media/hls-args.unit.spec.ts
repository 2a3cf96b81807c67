import { inputOptions, outputOptions } from '../../../subgraphs/media/src/ffmpeg/hls-args';
import type { HlsJob } from '../../../subgraphs/media/src/sessions/ports';
import { reconnectDelayMs } from '../../../subgraphs/media/src/sessions/backoff';

const job = (over: Partial<HlsJob> = {}): HlsJob => ({
  url: 'rtsp://127.0.0.1:8554/cam',
  outputDir: '/data/hls/s1',
  transcode: false,
  startNumber: 0,
  rtspTimeoutSeconds: 5,
  ...over,
});

const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('ffmpeg arguments of a session', () => {
  it('pulls RTSP over TCP with a timeout in microseconds and a protocol whitelist', () => {
    const args = inputOptions(job());
    expect(valueOf(args, '-rtsp_transport')).toBe('tcp');
    expect(valueOf(args, '-timeout')).toBe('5000000');
    expect(valueOf(args, '-protocol_whitelist')).toBe('rtsp,rtp,tcp,udp');
    expect(valueOf(inputOptions(job({ url: 'rtsps://127.0.0.1/cam' })), '-protocol_whitelist')).toBe('rtsp,rtp,tcp,udp,tls');
  });

  it('copies H.264 unless told to transcode', () => {
    expect(valueOf(outputOptions(job()), '-c:v')).toBe('copy');
    expect(valueOf(outputOptions(job({ transcode: true })), '-c:v')).toBe('libx264');
  });

  it('writes short segments into the session folder, bounded and deleted, numbered from startNumber', () => {
    const args = outputOptions(job({ startNumber: 42 }));
    expect(valueOf(args, '-hls_time')).toBe('1');
    expect(valueOf(args, '-hls_list_size')).toBe('6');
    expect(valueOf(args, '-hls_flags')).toContain('delete_segments');
    expect(valueOf(args, '-hls_flags')).toContain('omit_endlist');
    expect(valueOf(args, '-hls_flags')).toContain('temp_file');
    expect(valueOf(args, '-start_number')).toBe('42');
    expect(valueOf(args, '-hls_segment_filename')).toBe('/data/hls/s1/seg_%05d.ts');
  });
});

describe('reconnect backoff', () => {
  it('doubles from 1 s and is capped at 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => reconnectDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });
});
