import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { repoRoot } from '../../../../lib/paths';
import { redactCredentials } from '../../../../lib/security/rtsp-url';
import type { FfmpegExit, FfmpegHandle, FfmpegObserver, HlsJob } from '../sessions/ports';
import { inputOptions, outputOptions, playlistPath } from './hls-args';

/**
 * The one module that knows fluent-ffmpeg. Everything else sees `spawnHlsFfmpeg` and a handle with a
 * pid, an `exited` promise and a polite `stop()`: replacing fluent-ffmpeg with a plain spawn touches
 * this file only. fluent-ffmpeg's own `kill()` default (SIGKILL) and `timeout` option are not used:
 * a live session is ended with SIGTERM (ffmpeg flushes and exits), SIGKILL only after a grace period.
 */

/** The wrapper that makes ffmpeg die with this process (PR_SET_PDEATHSIG through setpriv). */
const GUARDED_FFMPEG = path.join(repoRoot, 'subgraphs/media/bin/ffmpeg-guarded');

/** Points fluent-ffmpeg at the guarded wrapper and tells the wrapper which binary to exec. */
export function configureFfmpeg(ffmpegPath: string): void {
  // The wrapper is spawned by fluent-ffmpeg with this process's environment: that is its only input.
  process.env.SIGHTLINE_FFMPEG_BIN = ffmpegPath;
  ffmpeg.setFfmpegPath(GUARDED_FFMPEG);
}

/** True when ffmpeg runs and can mux HLS (also warms fluent-ffmpeg's format cache). */
export function ffmpegReady(): Promise<boolean> {
  return new Promise((resolve) => {
    ffmpeg.availableFormats((error, formats) => resolve(!error && formats.hls?.canMux === true));
  });
}

export function spawnHlsFfmpeg(job: HlsJob, observer: FfmpegObserver = {}): FfmpegHandle {
  let child: ChildProcess | undefined;
  let stopRequested = false;
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  const recent: string[] = [];

  const command = ffmpeg(job.url, { stdoutLines: 20 }).inputOptions(inputOptions(job)).outputOptions(outputOptions(job)).output(playlistPath(job));

  const exited = new Promise<FfmpegExit>((resolve) => {
    const finish = (error?: Error) => {
      const reason = lastMeaningfulLine(recent) ?? (error ? error.message : 'ffmpeg ended');
      const how = exitSignal ? `killed by ${exitSignal}` : `exited with code ${exitCode ?? 'unknown'}`;
      resolve({ code: exitCode, signal: exitSignal, message: redactCredentials(`ffmpeg ${how}: ${reason}`).slice(0, 500) });
    };
    command.on('end', () => finish());
    command.on('error', (error: Error) => finish(error));
  });

  command.on('start', () => {
    // fluent-ffmpeg keeps the ChildProcess on an untyped property; this module is the one place that reads it.
    child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
    child?.once('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
    });
    if (stopRequested) child?.kill('SIGTERM');
  });
  command.on('stderr', (raw: string) => {
    const line = redactCredentials(raw);
    recent.push(line);
    if (recent.length > 20) recent.shift();
    observer.onStderr?.(line);
  });
  if (observer.onInputVideoCodec) {
    command.on('codecData', (data: { video?: string }) => {
      if (data.video) observer.onInputVideoCodec?.(data.video);
    });
  }
  command.run();

  return {
    pid: () => child?.pid,
    exited,
    async stop(graceMs = 3000) {
      stopRequested = true;
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The last stderr line that says what went wrong, skipping ffmpeg's routine chatter. */
function lastMeaningfulLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]?.trim();
    if (!line || /Opening '.*' for writing|^frame=|^video:|Exiting normally/.test(line)) continue;
    return line;
  }
  return undefined;
}

/** One MP4 from MPEG-TS segments by stream copy (no re-encoding), `faststart` so players begin at once. */
export function remuxToMp4(inputs: readonly string[], output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    ffmpeg()
      // Our own segment files only: the concat protocol over local files, nothing else.
      .input(`concat:${inputs.join('|')}`)
      .inputOptions(['-protocol_whitelist', 'file,concat'])
      .outputOptions(['-map', '0:v:0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4'])
      .on('error', (error: Error) => reject(new Error(redactCredentials(error.message))))
      .on('end', () => resolve())
      .save(output);
  });
}
