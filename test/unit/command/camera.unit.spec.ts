import { decideCamera, evolveCamera, type CameraState } from '../../../subgraphs/command/src/domain/camera';

const registered: CameraState = {
  id: 'c1',
  name: 'Gate',
  site: null,
  rtspUrl: 'rtsp://127.0.0.1/g',
  tags: ['a'],
  status: 'ACTIVE',
  recording: { enabled: false, retentionHours: 24 },
};

describe('camera aggregate', () => {
  it('registers a new camera as ACTIVE', () => {
    const event = decideCamera({ kind: 'RegisterCamera', cameraId: 'c1', name: 'Gate', site: null, rtspUrl: 'rtsp://127.0.0.1/g', tags: ['a'] }, null);
    expect(event?.type).toBe('CameraRegistered');
    expect(evolveCamera(null, event!)).toEqual(registered);
  });

  it('refuses to register an existing id', () => {
    expect(() => decideCamera({ kind: 'RegisterCamera', cameraId: 'c1', name: 'x', site: null, rtspUrl: 'rtsp://h/x', tags: [] }, registered)).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_ID' }),
    );
  });

  it('updates only what changed, and nothing when nothing changed', () => {
    const event = decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', name: 'Gate', site: 'hq', tags: ['a'] }, registered);
    expect(event).toEqual({ type: 'CameraUpdated', data: { cameraId: 'c1', site: 'hq' } });
    expect(evolveCamera(registered, event!)).toMatchObject({ site: 'hq', name: 'Gate' });
    expect(decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', name: 'Gate' }, registered)).toBeNull();
  });

  it('refuses to update an unknown or decommissioned camera', () => {
    expect(() => decideCamera({ kind: 'UpdateCamera', cameraId: 'c9', name: 'x' }, null)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    const gone = { ...registered, status: 'DECOMMISSIONED' as const };
    expect(() => decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', name: 'x' }, gone)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('decommissions once; a repeat changes nothing', () => {
    const event = decideCamera({ kind: 'DecommissionCamera', cameraId: 'c1' }, registered);
    const after = evolveCamera(registered, event!);
    expect(after?.status).toBe('DECOMMISSIONED');
    expect(decideCamera({ kind: 'DecommissionCamera', cameraId: 'c1' }, after)).toBeNull();
    expect(() => decideCamera({ kind: 'DecommissionCamera', cameraId: 'c9' }, null)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
