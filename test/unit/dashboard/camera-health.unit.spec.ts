import type { Camera } from '../../../web/src/api/operations';
import { CONNECT_GRACE_MS, offlineReason } from '../../../web/src/views/camera-list';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const camera = (extra: Partial<Camera> = {}): Camera => ({ id: 'c1', name: 'Gate', site: null, status: 'ACTIVE', liveStream: null, ...extra });
const stream = (status: 'LIVE' | 'RECONNECTING' | 'FAILED') => ({ id: 's1', status, hlsUrl: '/hls/s1', restarts: 1, lastError: null });

describe('offline cameras', () => {
  it('counts a recorded camera whose recorder cannot reach it, with the reason', () => {
    const refused = camera({ recorder: { state: 'RECONNECTING', since: ago(1000), lastError: 'Connection refused' } });
    expect(offlineReason(refused, NOW)).toBe('The recorder cannot reach the camera: Connection refused.');
    const long = camera({ recorder: { state: 'RECONNECTING', since: ago(CONNECT_GRACE_MS), lastError: null } });
    expect(offlineReason(long, NOW)).toBe('The recorder cannot reach the camera.');
  });

  it('gives a recorder that is starting up time to connect before calling its camera offline', () => {
    expect(offlineReason(camera({ recorder: { state: 'RECONNECTING', since: ago(2000), lastError: null } }), NOW)).toBeNull();
  });

  it('counts a camera whose live stream lost it', () => {
    expect(offlineReason(camera({ liveStream: stream('RECONNECTING') }), NOW)).toMatch(/live stream lost the camera/);
  });

  it('does not count recording, streaming, unrecorded or decommissioned cameras', () => {
    expect(offlineReason(camera({ recorder: { state: 'RECORDING', since: ago(60000), lastError: 'an old error' } }), NOW)).toBeNull();
    expect(offlineReason(camera({ recorder: { state: 'OFF', since: ago(60000) } }), NOW)).toBeNull();
    expect(offlineReason(camera({ liveStream: stream('LIVE') }), NOW)).toBeNull();
    expect(offlineReason(camera(), NOW)).toBeNull();
    const gone = camera({ status: 'DECOMMISSIONED', recorder: { state: 'RECONNECTING', since: ago(60000), lastError: 'refused' } });
    expect(offlineReason(gone, NOW)).toBeNull();
  });
});
