import { decideCamera, evolveCamera, type CameraState, type RegisterCamera } from '../../../subgraphs/command/src/domain/camera';
import { validRecording } from '../../../subgraphs/command/src/domain/validation';

const register: RegisterCamera = { kind: 'RegisterCamera', cameraId: 'c1', name: 'Gate', site: null, rtspUrl: 'rtsp://127.0.0.1/g', tags: [] };
const registeredWith = (recording?: RegisterCamera['recording']): CameraState => {
  const event = decideCamera({ ...register, ...(recording ? { recording } : {}) }, null);
  return evolveCamera(null, event!)!;
};

describe('recording settings: RecordingInput validation', () => {
  it('is absent when no input is given (register defaults it, update leaves it)', () => {
    expect(validRecording(undefined)).toBeUndefined();
    expect(validRecording(null)).toBeUndefined();
  });

  it('keeps 24 hours when enabled comes without retentionHours (or with null)', () => {
    expect(validRecording({ enabled: true })).toEqual({ enabled: true, retentionHours: 24 });
    expect(validRecording({ enabled: false, retentionHours: null })).toEqual({ enabled: false, retentionHours: 24 });
  });

  it('accepts the bounds, 1 and 8760 hours', () => {
    expect(validRecording({ enabled: true, retentionHours: 1 })).toEqual({ enabled: true, retentionHours: 1 });
    expect(validRecording({ enabled: true, retentionHours: 8760 })).toEqual({ enabled: true, retentionHours: 8760 });
  });

  it.each([
    ['0', 0],
    ['negative', -5],
    ['over a year', 8761],
    ['a fraction', 1.5],
    ['a string', '24'],
  ])('refuses retentionHours %s with BAD_USER_INPUT naming the field', (_label, retentionHours) => {
    expect(() => validRecording({ enabled: true, retentionHours })).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'recording.retentionHours' } }),
    );
  });

  it('refuses a missing or non-boolean enabled', () => {
    for (const value of [{}, { enabled: 'yes' }]) {
      expect(() => validRecording(value)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'recording.enabled' } }));
    }
    expect(() => validRecording('on')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'recording' } }));
  });
});

describe('recording settings on the camera aggregate', () => {
  it('registers a camera without recording as not recorded, 24 hours', () => {
    expect(decideCamera(register, null)).toMatchObject({ type: 'CameraRegistered', data: { recording: { enabled: false, retentionHours: 24 } } });
    expect(registeredWith().recording).toEqual({ enabled: false, retentionHours: 24 });
  });

  it('registers a camera with the recording it was given', () => {
    const event = decideCamera({ ...register, recording: { enabled: true, retentionHours: 72 } }, null);
    expect(event).toMatchObject({ type: 'CameraRegistered', data: { recording: { enabled: true, retentionHours: 72 } } });
    expect(evolveCamera(null, event!)?.recording).toEqual({ enabled: true, retentionHours: 72 });
  });

  it('updates recording when it changes, and leaves it alone when the update does not name it', () => {
    const state = registeredWith();
    const event = decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', recording: { enabled: true, retentionHours: 48 } }, state);
    expect(event).toEqual({ type: 'CameraUpdated', data: { cameraId: 'c1', recording: { enabled: true, retentionHours: 48 } } });
    const after = evolveCamera(state, event!)!;
    expect(after.recording).toEqual({ enabled: true, retentionHours: 48 });

    const renamed = decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', name: 'Door' }, after);
    expect(renamed).toEqual({ type: 'CameraUpdated', data: { cameraId: 'c1', name: 'Door' } });
    expect(evolveCamera(after, renamed!)?.recording).toEqual({ enabled: true, retentionHours: 48 });
  });

  it('changes nothing when the recording given is the current one', () => {
    const state = registeredWith({ enabled: true, retentionHours: 48 });
    expect(decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', recording: { enabled: true, retentionHours: 48 } }, state)).toBeNull();
  });

  it('decides on a state from a snapshot saved before recording existed as not recorded', () => {
    const { recording: _dropped, ...old } = registeredWith();
    expect(decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', recording: { enabled: false, retentionHours: 24 } }, old)).toBeNull();
    expect(decideCamera({ kind: 'UpdateCamera', cameraId: 'c1', recording: { enabled: true, retentionHours: 24 } }, old)).toMatchObject({
      data: { recording: { enabled: true, retentionHours: 24 } },
    });
  });
});
