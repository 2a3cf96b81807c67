import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findOrphanFfmpeg } from '../../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { isAlive, probeHls, waitFor } from '../../int/media/media-harness';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startStack, type Stack } from '../../support/stack';
import { registerCamera, streamApi } from '../../support/media-api';

interface Session {
  id: string;
  status: string;
  hlsUrl: string;
  restarts: number;
}

/** The ffmpeg processes the media process runs (its children, as /proc tells) that pull this camera URL. */
function ffmpegPulling(mediaPid: number, url: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parent === mediaPid && /ffmpeg/.test(argv[0] ?? '') && argv.includes(url) && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const mediaSequence = async (hlsUrl: string): Promise<number> => {
  const response = await fetch(hlsUrl);
  expect(response.status).toBe(200);
  return Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(await response.text())?.[1]);
};

/**
 * A live view of a camera that the same media service records: the session serves the recorder's
 * segments, so the camera has one RTSP connection (one ffmpeg) however many ways it is watched; the
 * link plays through the gateway like any other; stopping the view leaves the recording alone; when
 * the recording stops the view falls back to its own ffmpeg, and returns to the recording once the
 * camera is recorded again. A camera not recorded still gets its own ffmpeg.
 */
describe('live view of a recorded camera through the gateway', () => {
  let stack: Stack;
  let camera: RtspCamera;
  let mediaPid: number;
  let startWhenKnown: ReturnType<typeof streamApi<Session>>['startWhenKnown'];
  let sessionStatus: ReturnType<typeof streamApi<Session>>['sessionStatus'];

  beforeAll(async () => {
    [stack, camera] = await Promise.all([startStack({ label: 'livereuse', env: { MEDIA_IDLE_TIMEOUT_SECONDS: '120' } }), startRtspCamera()]);
    mediaPid = stack.processes.get('media')!.pid!;
    ({ startWhenKnown, sessionStatus } = streamApi<Session>(stack, 'id status hlsUrl restarts'));
  }, 120000);
  afterAll(async () => {
    await stack?.stop();
    await camera?.stop();
  });

  const register = (name: string, recording: boolean) =>
    registerCamera(stack, { name, rtspUrl: camera.url(name), recording: { enabled: recording, retentionHours: 1 } });
  const setRecording = async (cameraId: string, enabled: boolean) => {
    const result = await stack.graphql(
      'mutation($input: UpdateCameraInput!) { updateCamera(input: $input) { id } }',
      {
        input: { id: cameraId, recording: { enabled, retentionHours: 1 } },
      },
      'admin',
    );
    expect(result.errors).toBeUndefined();
  };
  const recorderState = async (cameraId: string) =>
    (
      await stack.graphql<{ camera: { recorder: { state: string } | null } | null }>(
        'query($id: ID!) { camera(id: $id) { recorder { state } } }',
        { id: cameraId },
        'viewer',
      )
    ).data?.camera?.recorder?.state;
  /** The ffmpeg of a session's own (it writes into the session's folder). */
  const ownFfmpeg = (sessionId: string) => findOrphanFfmpeg(path.join(stack.env.HLS_DIR!, sessionId));

  it("serves the recorder's segments with one ffmpeg for the camera, and stopStream leaves the recording alone", async () => {
    const { id: cameraId } = await register('recorded-lobby', true);
    const url = camera.url('recorded-lobby');
    await waitFor('recorder RECORDING', async () => (await recorderState(cameraId)) === 'RECORDING', 60000);
    const [recorderPid] = await waitFor('the recorder ffmpeg', () => {
      const pids = ffmpegPulling(mediaPid, url);
      return pids.length === 1 ? pids : undefined;
    });
    // The recorder's ffmpeg writes the recording, not a session folder.
    expect(readFileSync(`/proc/${recorderPid}/cmdline`, 'utf8')).toContain(stack.env.RECORDINGS_DIR!);

    const started = await startWhenKnown(cameraId);
    const live = await sessionStatus(started.id, 'LIVE', 60000);
    expect(live.hlsUrl.startsWith(`${stack.baseUrl}/hls/${started.id}/index.m3u8?exp=`)).toBe(true);
    const probe = await probeHls(live.hlsUrl);
    expect(probe.codec).toBe('h264');
    expect(probe.frames).toBeGreaterThan(0);
    // One RTSP connection for the camera: the recorder's. The session runs none of its own.
    expect(ffmpegPulling(mediaPid, url)).toEqual([recorderPid]);
    expect(ownFfmpeg(started.id)).toEqual([]);
    // A live playlist: its media sequence moves as the recording goes on.
    const first = await mediaSequence(live.hlsUrl);
    await waitFor('the media sequence moving', async () => (await mediaSequence(live.hlsUrl)) > first, 20000);
    expect(ffmpegPulling(mediaPid, url)).toEqual([recorderPid]);
    const tampered = live.hlsUrl.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(tampered)).status).toBe(403);

    const recordingDir = path.join(stack.env.RECORDINGS_DIR!, cameraId);
    const recordedBefore = readdirSync(recordingDir).filter((name) => name.endsWith('.ts'));
    const stopped = await stack.graphql<{ stopStream: Session }>(
      'mutation($id: ID!) { stopStream(cameraId: $id) { id status } }',
      { id: cameraId },
      'operator',
    );
    expect(stopped.data!.stopStream.status).toBe('STOPPED');
    expect((await fetch(live.hlsUrl)).status).toBe(404);
    // The recorder goes on: same ffmpeg, RECORDING, and none of its segments went with the session.
    expect(isAlive(recorderPid!)).toBe(true);
    expect(await recorderState(cameraId)).toBe('RECORDING');
    const recordedAfter = new Set(readdirSync(recordingDir));
    expect(recordedBefore.filter((name) => !recordedAfter.has(name))).toEqual([]);
    await waitFor('the recording growing', () => readdirSync(recordingDir).filter((name) => name.endsWith('.ts')).length > recordedBefore.length, 20000);
    expect(ffmpegPulling(mediaPid, url)).toEqual([recorderPid]);
  }, 240000);

  it('falls back to its own ffmpeg when the recording stops, and returns to the recording when it records again', async () => {
    const { id: cameraId } = await register('recorded-gate', true);
    const url = camera.url('recorded-gate');
    await waitFor('recorder RECORDING', async () => (await recorderState(cameraId)) === 'RECORDING', 60000);
    const started = await startWhenKnown(cameraId);
    await sessionStatus(started.id, 'LIVE', 60000);
    expect(ownFfmpeg(started.id)).toEqual([]);

    await setRecording(cameraId, false);
    const [own] = await waitFor(
      'its own ffmpeg',
      () => {
        const pids = ownFfmpeg(started.id);
        return pids.length === 1 ? pids : undefined;
      },
      30000,
    );
    const fallback = await waitFor(
      'LIVE from its own ffmpeg',
      async () => {
        const session = await sessionStatus(started.id, 'LIVE', 60000);
        return session.restarts >= 1 ? session : undefined;
      },
      60000,
    );
    expect((await probeHls(fallback.hlsUrl)).frames).toBeGreaterThan(0);
    // Only the session's ffmpeg pulls the camera now: the recorder is gone.
    expect(ffmpegPulling(mediaPid, url)).toEqual([own]);

    await setRecording(cameraId, true);
    await waitFor('recorder RECORDING again', async () => (await recorderState(cameraId)) === 'RECORDING', 60000);
    await waitFor('its own ffmpeg ended', () => !isAlive(own!) && ownFfmpeg(started.id).length === 0, 30000);
    const back = await sessionStatus(started.id, 'LIVE', 60000);
    expect((await probeHls(back.hlsUrl)).frames).toBeGreaterThan(0);
    const pulling = ffmpegPulling(mediaPid, url);
    expect(pulling).toHaveLength(1);
    expect(readFileSync(`/proc/${pulling[0]}/cmdline`, 'utf8')).toContain(stack.env.RECORDINGS_DIR!);
  }, 240000);

  it('follows a new camera URL at once: the recorder, and so the live view, reconnect to it', async () => {
    const { id: cameraId } = await register('moved-from', true);
    await waitFor('recorder RECORDING', async () => (await recorderState(cameraId)) === 'RECORDING', 60000);
    const started = await startWhenKnown(cameraId);
    await sessionStatus(started.id, 'LIVE', 60000);
    const result = await stack.graphql(
      'mutation($input: UpdateCameraInput!) { updateCamera(input: $input) { id } }',
      {
        input: { id: cameraId, rtspUrl: camera.url('moved-to') },
      },
      'admin',
    );
    expect(result.errors).toBeUndefined();
    await waitFor(
      'the recorder on the new URL',
      () => ffmpegPulling(mediaPid, camera.url('moved-to')).length === 1 && ffmpegPulling(mediaPid, camera.url('moved-from')).length === 0,
      30000,
    );
    const live = await sessionStatus(started.id, 'LIVE', 60000);
    expect((await probeHls(live.hlsUrl)).frames).toBeGreaterThan(0);
    expect(ownFfmpeg(started.id)).toEqual([]);
  }, 120000);

  it('gives a camera that is not recorded its own ffmpeg, as before', async () => {
    const { id: cameraId } = await register('plain-dock', false);
    const started = await startWhenKnown(cameraId);
    const live = await sessionStatus(started.id, 'LIVE', 60000);
    expect((await probeHls(live.hlsUrl)).frames).toBeGreaterThan(0);
    const own = ownFfmpeg(started.id);
    expect(own).toHaveLength(1);
    expect(ffmpegPulling(mediaPid, camera.url('plain-dock'))).toEqual(own);
  }, 120000);
});
