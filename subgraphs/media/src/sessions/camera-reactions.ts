import type { CameraChanges } from './ports';
import type { SessionManager } from './session-manager';

/** Where this service runs the camera's session: a decommissioned camera's session stops; a camera whose URL changed reconnects to the new URL at once. */
export function reactToCameraChanges(cameras: CameraChanges, sessions: SessionManager): void {
  cameras.onChange((camera, previous) => {
    if (camera.status !== 'ACTIVE') void sessions.stopIfRunningHere(camera.id, 'camera decommissioned');
    else if (previous && previous.rtspUrl !== camera.rtspUrl) sessions.cameraUrlChanged(camera.id);
  });
}
