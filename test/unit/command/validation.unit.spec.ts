import { DEFAULT_OCCURRED_AT_WINDOW, validRecordEventInput, validRtspUrl, validTags } from '../../../subgraphs/command/src/domain/validation';

const input = { cameraId: 'c1', type: 'motion', severity: 'HIGH', occurredAt: '2026-01-01T00:00:00Z' };
const bad = expect.objectContaining({ code: 'BAD_USER_INPUT' });

describe('command input validation', () => {
  it('normalises a valid RecordEventInput', () => {
    expect(validRecordEventInput({ ...input, attributes: { a: 1 } })).toEqual({
      id: null,
      cameraId: 'c1',
      type: 'motion',
      severity: 'HIGH',
      occurredAt: '2026-01-01T00:00:00.000Z',
      attributes: { a: 1 },
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

  describe('occurredAt outside the plausible window (one 1900 event must not break statistics for everyone)', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const at = (occurredAt: string) => () => validRecordEventInput({ ...input, occurredAt }, DEFAULT_OCCURRED_AT_WINDOW, now);

    it.each([
      ['1900', '1900-01-01T00:00:00Z'],
      ['just before 2000', '1999-12-31T23:59:59.999Z'],
      ['more than 24 h ahead', '2026-12-03T12:00:00.001Z'],
      ['in year 9999', '9999-12-31T00:00:00Z'],
    ])('refuses a date %s with BAD_USER_INPUT naming the field', (_label, occurredAt) => {
      expect(at(occurredAt)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', details: { field: 'occurredAt' } }));
    });

    it('accepts the window bounds themselves', () => {
      expect(at('2000-01-01T00:00:00Z')().occurredAt).toBe('2000-01-01T00:00:00.000Z');
      expect(at('2026-12-03T12:00:00Z')().occurredAt).toBe('2026-12-03T12:00:00.000Z');
    });

    it('uses the configured window', () => {
      const window = { earliestMs: Date.parse('2020-01-01T00:00:00Z'), maxAheadMs: 0 };
      expect(() => validRecordEventInput({ ...input, occurredAt: '2019-06-01T00:00:00Z' }, window, now)).toThrow(bad);
      expect(() => validRecordEventInput({ ...input, occurredAt: '2026-12-02T12:00:01Z' }, window, now)).toThrow(bad);
    });
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
