import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../../lib/paths';
import { freePort } from '../../support/ports';

export interface TestCamera {
  port: number;
  url(pathName: string): string;
  stop(): Promise<void>;
}

/** A real RTSP camera of this test's own (scripts/engines/rtsp-camera.py), small and slow to spare the CPU. */
export async function startTestCamera(): Promise<TestCamera> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/python3',
    ['-u', path.join(repoRoot, 'scripts/engines/rtsp-camera.py'), '--port', String(port), '--size', '640x360', '--fps', '15'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rtsp-camera did not start:\n${output}`)), 20000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('serving rtsp://')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rtsp-camera exited with ${code}:\n${output}`));
    });
  });
  return {
    port,
    url: (pathName) => `rtsp://127.0.0.1:${port}/${pathName}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
