import { AppError } from '../../../../lib/errors/app-error';
import { isUnavailable } from '../../../../lib/errors/engine-errors';
import { parseRtspUrl } from '../../../../lib/security/rtsp-url';
import type { CameraDirectory, CameraHostPolicy } from './ports';

/** Whether a camera may stream, and from which URL: known, active, an RTSP URL, a host CAMERA_ALLOWED_HOSTS allows. */
export class CameraAdmission {
  constructor(
    private readonly cameras: CameraDirectory,
    /** CAMERA_ALLOWED_HOSTS: checked when a session starts and before every ffmpeg spawn. */
    private readonly hosts: CameraHostPolicy,
  ) {}

  /** The camera's URL if the camera is known, active and its URL is RTSP (no await: callers rely on that). */
  url(cameraId: string): string {
    const camera = this.cameras.get(cameraId);
    if (!camera) throw new AppError('NOT_FOUND', 'unknown camera');
    if (camera.status !== 'ACTIVE') throw new AppError('BAD_USER_INPUT', 'camera is decommissioned');
    parseRtspUrl(camera.rtspUrl);
    return camera.rtspUrl;
  }

  /** Throws an AppError when the URL's host is not allowed (UNAVAILABLE when DNS does not answer). */
  checkHost(url: string): Promise<void> {
    return this.hosts.check(url);
  }

  /** The camera's URL, checked again (scheme, then CAMERA_ALLOWED_HOSTS) right before any ffmpeg sees it. */
  async checkedUrl(cameraId: string): Promise<string> {
    const url = this.url(cameraId);
    await this.hosts.check(url);
    return url;
  }

  /** Why the camera cannot stream; none when it may, or when only DNS is down (the session's retries cover that). */
  async refusalFor(cameraId: string): Promise<string | undefined> {
    try {
      await this.checkedUrl(cameraId);
      return undefined;
    } catch (error) {
      return isUnavailable(error) ? undefined : (error as Error).message;
    }
  }
}

/** Why startStream refuses a camera, as the caller sees it: unknown, cannot stream (with the host when it is not allowed), or DNS down. */
export function startRefusal(cameraId: string, error: unknown): AppError {
  if (isUnavailable(error)) return error;
  const reason = error as AppError;
  if (reason.code === 'NOT_FOUND') return new AppError('NOT_FOUND', `camera ${cameraId} not found`, { cameraId });
  return new AppError('BAD_USER_INPUT', `camera ${cameraId} cannot stream: ${reason.message}`, { ...reason.details, cameraId });
}
