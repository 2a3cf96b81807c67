import { PLAYLIST_NAME, type HlsJob } from '../sessions/ports';

/**
 * The ffmpeg arguments of one live RTSP -> HLS session. Pure, so a unit test pins every flag that
 * matters for safety (protocol whitelist, timeouts) and for playback (segment length, deletion).
 */

const SEGMENT_SECONDS = 1;
const PLAYLIST_SEGMENTS = 6;
/** Segments kept on disk after they leave the playlist, for players that are a little behind. */
const DELETE_THRESHOLD = 3;

export function inputOptions(job: HlsJob): string[] {
  const secure = job.url.startsWith('rtsps:');
  return [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'info',
    '-rtsp_transport',
    'tcp',
    // Connect and read timeout: without it a camera that stalls with its socket open hangs ffmpeg.
    '-timeout',
    String(job.rtspTimeoutSeconds * 1_000_000),
    // No file:, concat:, subfile:, http: ... whatever the URL or an RTSP redirect says.
    '-protocol_whitelist',
    secure ? 'rtsp,rtp,tcp,udp,tls' : 'rtsp,rtp,tcp,udp',
  ];
}

export function outputOptions(job: HlsJob): string[] {
  const video = job.transcode
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '25', '-sc_threshold', '0', '-pix_fmt', 'yuv420p']
    : ['-c:v', 'copy'];
  return [
    '-map',
    '0:v:0',
    ...video,
    // Camera audio is often G.711, which HLS cannot carry as is; operators watch video.
    '-an',
    '-f',
    'hls',
    '-hls_time',
    String(SEGMENT_SECONDS),
    '-hls_list_size',
    String(PLAYLIST_SEGMENTS),
    ...(job.keepSegments
      ? ['-hls_flags', 'independent_segments+program_date_time+omit_endlist+temp_file']
      : ['-hls_delete_threshold', String(DELETE_THRESHOLD), '-hls_flags', 'delete_segments+independent_segments+program_date_time+omit_endlist+temp_file']),
    '-start_number',
    String(job.startNumber),
    // Names SEGMENT_PATTERN matches.
    '-hls_segment_filename',
    `${job.outputDir}/seg_%05d.ts`,
  ];
}

export const playlistPath = (job: HlsJob): string => `${job.outputDir}/${PLAYLIST_NAME}`;
