import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../../lib/paths';
import { freePort } from './ports';

/**
 * A real RTSP camera (scripts/engines/rtsp-camera.py: GStreamer serving generated H.264) owned by
 * one test: on a free loopback port, so the test can stop it, pause it (SIGSTOP) or bring it back.
 */
export interface RtspCamera {
  port: number;
  /** rtsp://[user:pass@]127.0.0.1:<port>/<name> */
  url(name?: string, credentials?: string): string;
  /** SIGTERM and wait: the camera goes away (connections close). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  pause(): void;
  resume(): void;
  pid(): number | undefined;
}

export interface RtspCameraOptions {
  size?: string;
  fps?: number;
  shared?: boolean;
  port?: number;
  /** Another camera script taking the same --port (e.g. one that sends a codec other than H.264). */
  script?: string;
}

export async function startRtspCamera(options: RtspCameraOptions = {}): Promise<RtspCamera> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    const args = [
      '-u',
      options.script ?? path.join(repoRoot, 'scripts/engines/rtsp-camera.py'),
      '--port',
      String(port),
      '--size',
      options.size ?? '640x360',
      '--fps',
      String(options.fps ?? 25),
    ];
    if (options.shared) args.push('--shared');
    output = '';
    const proc = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child = proc;
    const deadline = Date.now() + 20000;
    while (!(await accepts(port))) {
      if (proc.exitCode !== null) throw new Error(`rtsp camera exited with ${proc.exitCode}: ${output}`);
      if (Date.now() > deadline) throw new Error(`rtsp camera not listening on ${port}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
    });
  };

  await start();
  return {
    port,
    url: (name = 'cam', credentials) => `rtsp://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}/${name}`,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    pid: () => child?.pid,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
