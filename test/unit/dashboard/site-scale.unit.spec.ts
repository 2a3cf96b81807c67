import type { Camera } from '../../../web/src/api/operations';
import { runEach } from '../../../web/src/api/pool';
import { ApiError } from '../../../web/src/api/graphql';
import { DEFAULT_STATE, parseState, serializeState } from '../../../web/src/state/dashboard-state';
import { describeError } from '../../../web/src/ui/messages';
import { formatWhen } from '../../../web/src/ui/time';
import { groupBySite, pageOf, selectCameras, sitesOf } from '../../../web/src/views/camera-list';
import { describeCriteria, eventFilterOf } from '../../../web/src/views/event-criteria';

const camera = (id: string, name: string, site: string | null, extra: Partial<Camera> = {}): Camera => ({
  id,
  name,
  site,
  status: 'ACTIVE',
  liveStream: null,
  ...extra,
});
const live = { id: 's1', status: 'LIVE' as const, hlsUrl: '/hls/s1', restarts: 0, lastError: null };

describe('dashboard state in the address bar', () => {
  it('round-trips filters, page, layout and the open event, leaving defaults out', () => {
    const state = {
      cameras: { text: 'gate 1', site: 'Docks', status: 'ALL' as const, stream: 'LIVE' as const, layout: '3x3' as const, page: 4 },
      events: { severity: 'CRITICAL' as const, status: 'OPEN' as const, site: 'Bridge', camera: 'cam-1', type: 'intrusion', text: 'zone 4' },
      event: 'ev-1',
    };
    const query = serializeState(state);
    expect(parseState(query)).toEqual(state);
    expect(serializeState(DEFAULT_STATE)).toBe('');
    expect(serializeState({ ...DEFAULT_STATE, event: 'x' })).toBe('?event=x');
  });

  it('falls back to the defaults for values a hand-edited link may hold', () => {
    const state = parseState('?severity=LOUD&cstatus=GONE&layout=9x9&cpage=-3&cstream=ON&status=MAYBE');
    expect(state).toEqual(DEFAULT_STATE);
  });
});

describe('camera selection', () => {
  const cameras = [
    camera('c3', 'Gate 3', 'North'),
    camera('c1', 'Gate 1', 'South', { liveStream: live }),
    camera('c2', 'Dock', 'North', { status: 'DECOMMISSIONED' }),
    camera('c4', 'Yard', null),
  ];

  it('searches name, id and site in any case, and filters by site, status and stream state', () => {
    const base = { text: '', site: '', status: 'ACTIVE' as const, stream: '' as const };
    expect(selectCameras(cameras, { ...base, text: 'GATE' }).map((c) => c.id)).toEqual(['c3', 'c1']);
    expect(selectCameras(cameras, { ...base, text: 'south' }).map((c) => c.id)).toEqual(['c1']);
    expect(selectCameras(cameras, { ...base, site: 'North', status: 'ALL' }).map((c) => c.id)).toEqual(['c2', 'c3']);
    expect(selectCameras(cameras, { ...base, stream: 'LIVE' }).map((c) => c.id)).toEqual(['c1']);
    expect(selectCameras(cameras, { ...base, stream: 'STOPPED' }).map((c) => c.id)).toEqual(['c3', 'c1', 'c4'].filter((id) => id !== 'c1'));
    expect(selectCameras(cameras, { ...base, status: 'DECOMMISSIONED' }).map((c) => c.id)).toEqual(['c2']);
  });

  it('sorts by site (no site last), groups by site and pages', () => {
    const sorted = selectCameras(cameras, { text: '', site: '', status: 'ALL', stream: '' });
    expect(sorted.map((c) => c.id)).toEqual(['c2', 'c3', 'c1', 'c4']);
    expect(groupBySite(sorted).map((g) => [g.site, g.cameras.length])).toEqual([
      ['North', 2],
      ['South', 1],
      ['', 1],
    ]);
    expect(sitesOf(cameras)).toEqual(['North', 'South']);
    expect(pageOf(sorted, 2, 3)).toEqual({ items: [sorted[3]], page: 2, pages: 2 });
    expect(pageOf(sorted, 9, 3).page).toBe(2);
    expect(pageOf([], 1, 3)).toEqual({ items: [], page: 1, pages: 1 });
  });
});

describe('event filters', () => {
  it('become the API filter and a sentence', () => {
    const criteria = { severity: 'HIGH' as const, status: 'OPEN' as const, site: 'Docks', camera: 'c1', type: 'person', text: 'red car' };
    expect(eventFilterOf(criteria)).toEqual({
      severities: ['HIGH'],
      statuses: ['OPEN'],
      sites: ['Docks'],
      cameraIds: ['c1'],
      types: ['person'],
      text: 'red car',
    });
    expect(eventFilterOf(DEFAULT_STATE.events)).toEqual({});
    expect(describeCriteria(criteria, () => 'Gate 1')).toBe(
      'Events with severity HIGH, status open, site Docks, camera Gate 1, type person, matching "red car".',
    );
    expect(describeCriteria(DEFAULT_STATE.events, (id) => id)).toBe('All events.');
  });
});

describe('times on the page', () => {
  const now = Date.parse('2026-03-10T15:00:00Z');

  it('shows the time alone for today, and the date with the time zone otherwise', () => {
    expect(formatWhen('2026-03-10T09:05:07Z', now, 'en-GB', 'UTC')).toBe('09:05:07');
    expect(formatWhen('2026-03-09T23:16:00Z', now, 'en-GB', 'UTC')).toBe('9 Mar 2026, 23:16:00 UTC');
    // Today in UTC is not today everywhere: the zone decides.
    expect(formatWhen('2026-03-10T01:16:00Z', now, 'en-US', 'America/New_York')).toMatch(/^Mar 9, 2026, 0?9:16:00 PM EDT$/);
    expect(formatWhen('not a date', now)).toBe('not a date');
  });
});

describe('errors in words', () => {
  it('names the role an operation needs, and what to do when rate limited', () => {
    expect(describeError(new ApiError('Mutation.acknowledgeEvent needs role operator', 'FORBIDDEN'), 'acknowledging this event')).toBe(
      'Your role does not allow acknowledging this event: it needs the operator role. Ask an administrator for a token with that role.',
    );
    expect(describeError(new ApiError('slow down', 'RATE_LIMITED', { retryAfter: 2 }), 'acknowledging this event')).toBe(
      'Too many requests from you in a short time, so acknowledging this event was not done. Wait about 2 s and try again; nothing was changed.',
    );
  });
});

describe('bulk actions', () => {
  it('runs every item, a few at a time, and reports each outcome in order', async () => {
    let running = 0;
    let most = 0;
    const outcomes = await runEach([1, 2, 3, 4, 5, 6], 2, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      if (n % 3 === 0) throw new Error(`no ${n}`);
      return n * 10;
    });
    expect(most).toBe(2);
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).message))).toEqual([10, 20, 'no 3', 40, 50, 'no 6']);
  });
});
