import { validRecordEventInput, validRtspUrl, validTags } from '../../../subgraphs/command/src/domain/validation';

const input = { cameraId: 'c1', type: 'motion', severity: 'HIGH', occurredAt: '2026-01-01T00:00:00Z' };
const bad = expect.objectContaining({ code: 'BAD_USER_INPUT' });

describe('command input validation', () => {
  it('normalises a valid RecordEventInput', () => {
    expect(validRecordEventInput({ ...input, attributes: { a: 1 } })).toEqual({
      id: null, cameraId: 'c1', type: 'motion', severity: 'HIGH', occurredAt: '2026-01-01T00:00:00.000Z', attributes: { a: 1 },
    });
  });

  it.each([
    ['an empty type', { ...input, type: ' ' }],
    ['an unknown severity', { ...input, severity: 'EXTREME' }],
    ['a bad date', { ...input, occurredAt: 'yesterday' }],
    ['attributes that are a list', { ...input, attributes: [1] }],
    ['attributes over 16 KiB', { ...input, attributes: { x: 'y'.repeat(17000) } }],
    ['an id with a slash', { ...input, id: 'a/b' }],
    ['no camera', { ...input, cameraId: undefined }],
    ['not an object', 'motion'],
  ])('refuses %s', (_label, value) => {
    expect(() => validRecordEventInput(value)).toThrow(bad);
  });

  it('keeps credentials in the stored RTSP URL and refuses other schemes', () => {
    expect(validRtspUrl('rtsp://u:p@127.0.0.1:8554/x')).toBe('rtsp://u:p@127.0.0.1:8554/x');
    expect(() => validRtspUrl('file:///etc/passwd')).toThrow(bad);
  });

  it('bounds tags and drops repeats', () => {
    expect(validTags(['a', 'a', ' b '])).toEqual(['a', 'b']);
    expect(() => validTags(Array.from({ length: 51 }, (_, i) => `t${i}`))).toThrow(bad);
  });
});
