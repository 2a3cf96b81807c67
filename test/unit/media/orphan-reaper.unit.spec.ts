import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOrphanFfmpeg } from '../../../subgraphs/media/src/ffmpeg/orphan-reaper';

describe('findOrphanFfmpeg', () => {
  it('finds only ffmpeg processes writing under this HLS folder', () => {
    const proc = mkdtempSync(path.join(os.tmpdir(), 'proc-'));
    const fake = (pid: number, argv: string[]) => {
      mkdirSync(path.join(proc, String(pid)));
      writeFileSync(path.join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
    };
    fake(101, ['/usr/bin/ffmpeg', '-i', 'rtsp://x/y', '/data/hls/abc/index.m3u8']);
    fake(102, ['/usr/bin/ffmpeg', '-i', 'rtsp://x/y', '/data/hls-other/abc/index.m3u8']);
    fake(103, ['node', '/data/hls/abc/index.m3u8']);
    fake(104, ['setpriv', '--pdeathsig', 'KILL', '--', 'ffmpeg', '-hls_segment_filename', '/data/hls/d/seg_%05d.ts']);
    mkdirSync(path.join(proc, 'self'));
    expect(findOrphanFfmpeg('/data/hls', proc).sort()).toEqual([101, 104]);
  });
});
