import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { EventEnvelope } from '../../../lib/events/envelope';
import { computeEventStats, type EventStats } from '../../../subgraphs/query/src/read/event-stats';
import { ElasticStatsStore } from '../../../subgraphs/query/src/read/elastic-stats-store';
import { IndexAdmin } from '../../../subgraphs/query/src/views/index-admin';
import { MAPPINGS } from '../../../subgraphs/query/src/views/mappings';
import { viewNames } from '../../../subgraphs/query/src/views/names';
import { ElasticRollupStore, dayStatusId, type DayStatus } from '../../../subgraphs/query/src/views/rollup-store';
import { Rollups } from '../../../subgraphs/query/src/views/rollups';
import { ReadSideHarness, camera, lifecycle, recorded } from './harness';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Rollup answers must equal the raw aggregation (means up to float summation order). */
function expectSame(rolled: EventStats, raw: EventStats): void {
  const { usedRollups: _u, rollupKind: _k, meanTimeToAcknowledgeSeconds: ack, meanTimeToResolveSeconds: resolve, ...rest } = rolled;
  const { usedRollups: _u2, rollupKind: _k2, meanTimeToAcknowledgeSeconds: rawAck, meanTimeToResolveSeconds: rawResolve, ...rawRest } = raw;
  expect(rest).toEqual(rawRest);
  for (const [a, b] of [
    [ack, rawAck],
    [resolve, rawResolve],
  ] as const) {
    if (b === null) expect(a).toBeNull();
    else expect(a).toBeCloseTo(b, 6);
  }
}

describe('hourly rollups', () => {
  const h = new ReadSideHarness('rollups');
  // The test recomputes when it wants: dirty states stay dirty until then (no timed worker racing the checks).
  beforeAll(() => h.start({ rollupWorker: false }));
  afterAll(() => h.stop());

  it('serve long ranges exactly, and stay exact when an old event is acknowledged', async () => {
    const cam = randomUUID();
    const base = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
    const ids = Array.from({ length: 120 }, () => randomUUID());
    const other = randomUUID();
    await h.write([camera(cam, 1), camera(other, 1)]);
    const written = await h.write([
      ...ids.map((id, i) =>
        recorded(id, cam, {
          type: i % 4 ? 'motion' : 'person',
          severity: i % 3 ? 'LOW' : 'HIGH',
          occurredAt: new Date(base + (i % 30) * HOUR + 60_000 * (i % 50)).toISOString(),
        }),
      ),
      // Another camera, sparse: most of its hours hold one event.
      ...Array.from({ length: 25 }, (_, i) =>
        recorded(randomUUID(), other, { type: i % 2 ? 'vehicle' : 'motion', severity: 'CRITICAL', occurredAt: new Date(base + i * 1.5 * HOUR).toISOString() }),
      ),
    ]);
    await h.caughtUp(written[written.length - 1]!.position);
    const filter = { cameraIds: [cam], from: new Date(base - 30 * 60_000).toISOString(), to: new Date(base + 40 * HOUR + 30 * 60_000).toISOString() };
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    // Hours with one more event of the other camera are sparse (no combination documents), the rest dense.
    expect(await h.stats.hourExceptions({ from: base, to: base + 40 * HOUR }, false)).toEqual([]);
    const sparse = await h.stats.hourExceptions({ from: base, to: base + 40 * HOUR }, true);
    expect(sparse?.length).toBeGreaterThan(0);
    expect(sparse?.length).toBeLessThan(20);
    const rolled = await computeEventStats(h.stats, filter, 'HOUR', undefined);
    expect(rolled.usedRollups).toBe(true);
    expect(rolled.total).toBe(120);
    // A text filter cannot use rollups: the same question answered from raw events only.
    const exact = await computeEventStats(h.stats, { ...filter, text: cam }, 'HOUR', undefined);
    expect(exact.usedRollups).toBe(false);
    expect(exact.total).toBe(120);
    expect(rolled.byStatus).toEqual(exact.byStatus);
    expect(rolled.bySeverity).toEqual(exact.bySeverity);
    expect(rolled.byType).toEqual([
      { key: 'motion', count: 90 },
      { key: 'person', count: 30 },
    ]);
    expect(rolled.histogram).toEqual(exact.histogram);
    // No field filter: the dimension rollups answer, and equal the raw aggregation.
    const span = { from: filter.from, to: filter.to };
    const byDimension = await computeEventStats(h.stats, span, 'HOUR', undefined);
    expect(byDimension.rollupKind).toBe('dimensions');
    expect(byDimension.total).toBe(145);
    expectSame(byDimension, await computeEventStats(h.stats, span, 'HOUR', undefined, { rollups: false }));
    expectSame(await computeEventStats(h.stats, span, 'DAY', undefined), await computeEventStats(h.stats, span, 'DAY', undefined, { rollups: false }));

    // Acknowledge two old events: their hours turn dirty and are served raw until recomputed.
    const acks = await h.write([lifecycle(ids[0]!, cam, 2), lifecycle(ids[1]!, cam, 2)]);
    await h.caughtUp(acks[1]!.position);
    const dirty = await computeEventStats(h.stats, filter, 'HOUR', undefined);
    expect(dirty.usedRollups).toBe(true);
    expect(dirty.byStatus).toEqual([
      { key: 'OPEN', count: 118 },
      { key: 'ACKNOWLEDGED', count: 2 },
    ]);
    expect(dirty.meanTimeToAcknowledgeSeconds).not.toBeNull();
    expectSame(await computeEventStats(h.stats, span, 'HOUR', undefined), await computeEventStats(h.stats, span, 'HOUR', undefined, { rollups: false }));
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    const clean = await computeEventStats(h.stats, filter, 'HOUR', undefined);
    expect(clean.byStatus).toEqual(dirty.byStatus);
    expect(clean.meanTimeToAcknowledgeSeconds).toBeCloseTo(dirty.meanTimeToAcknowledgeSeconds!, 6);
    expect(clean.histogram).toEqual(dirty.histogram);
    // The acknowledged hours in the dimension rollups too: while dirty and once recomputed.
    const afterAcks = await computeEventStats(h.stats, span, 'HOUR', undefined);
    expect(afterAcks.rollupKind).toBe('dimensions');
    expect(afterAcks.byStatus).toEqual([
      { key: 'OPEN', count: 143 },
      { key: 'ACKNOWLEDGED', count: 2 },
    ]);
    expectSame(afterAcks, await computeEventStats(h.stats, span, 'HOUR', undefined, { rollups: false }));
  }, 60000);

  it('serve whole days from day documents exactly, and stay exact when an hour of a day is dirtied, recomputed and a stale build lands late', async () => {
    const cam = randomUUID();
    const other = randomUUID();
    // Four whole days well in the past (over and settled), sparse and dense hours mixed.
    const day0 = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;
    const ids = Array.from({ length: 160 }, () => randomUUID());
    await h.write([camera(cam, 1), camera(other, 1)]);
    const written = await h.write([
      ...ids.map((id, i) =>
        recorded(id, i % 5 ? cam : other, {
          type: i % 4 ? 'motion' : 'person',
          severity: i % 3 ? 'LOW' : 'HIGH',
          occurredAt: new Date(day0 + (i % 96) * HOUR + 60_000 * (i % 50)).toISOString(),
        }),
      ),
    ]);
    await h.caughtUp(written[written.length - 1]!.position);
    // The first 20 acknowledged (days 0 and 1), so the means are not null.
    const acks = await h.write(ids.slice(0, 20).map((id, i) => lifecycle(id, i % 5 ? cam : other, 2)));
    await h.caughtUp(acks[acks.length - 1]!.position);
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    const dayStatus = async (day: number) => (await h.elastic.get<DayStatus>({ index: h.names.dirtyHours, id: dayStatusId(day) }))._source;
    for (let d = 0; d < 4; d += 1) expect(await dayStatus(day0 + d * DAY)).toMatchObject({ dirty: false, build: expect.any(String) });

    // From 05:30 on day 0 to 07:10 on day 3: days 1 and 2 whole (day documents), the rest hours and raw edges.
    const span = { from: new Date(day0 + 5.5 * HOUR).toISOString(), to: new Date(day0 + 3 * DAY + 7 * HOUR + 10 * 60_000).toISOString() };
    const range = { from: Date.parse(span.from), to: Date.parse(span.to) };
    expect([...((await h.stats.rollupStatus(range, false, true))?.days.keys() ?? [])].sort()).toEqual([day0 + DAY, day0 + 2 * DAY, day0 + 3 * DAY]);
    const raw = async () => computeEventStats(h.stats, span, 'DAY', undefined, { rollups: false });
    const byDays = await computeEventStats(h.stats, span, 'DAY', undefined);
    expect(byDays.rollupKind).toBe('dimensions');
    expectSame(byDays, await raw());
    expectSame(await computeEventStats(h.stats, span, 'DAY', undefined, { days: false }), await raw());
    // Exactly the four whole days: every day document.
    const whole = { from: new Date(day0).toISOString(), to: new Date(day0 + 4 * DAY).toISOString() };
    expectSame(await computeEventStats(h.stats, whole, 'DAY', undefined), await computeEventStats(h.stats, whole, 'DAY', undefined, { rollups: false }));
    expect((await computeEventStats(h.stats, whole, 'DAY', undefined)).total).toBe(160);

    // A slow worker's build of day 1 landing after the day was built: never read (not the named build).
    await h.elastic.index({
      index: h.names.alias('rollups'),
      id: `day:${day0 + DAY}|late|status|OPEN`,
      document: {
        hour: day0 + DAY,
        day: day0 + DAY,
        build: 'late',
        kind: 'status',
        status: 'OPEN',
        count: 999,
        ackSum: 0,
        ackCount: 0,
        resolveSum: 0,
        resolveCount: 0,
      },
      refresh: true,
    });
    expectSame(await computeEventStats(h.stats, span, 'DAY', undefined), await raw());

    // Acknowledge an event of day 2 (index 50: 02:00 that day, camera `other`): its hour and day turn
    // dirty, so the day is served by hours and raw until rebuilt.
    const { build: day2Build } = (await dayStatus(day0 + 2 * DAY))!;
    const acked = await h.write([lifecycle(ids[50]!, other, 2)]);
    await h.caughtUp(acked[0]!.position);
    expect(await dayStatus(day0 + 2 * DAY)).toMatchObject({ dirty: true });
    expect((await h.stats.rollupStatus(range, false, true))?.days.has(day0 + 2 * DAY)).toBe(false);
    const dirty = await computeEventStats(h.stats, span, 'DAY', undefined);
    expect(dirty.byStatus.find((b) => b.key === 'ACKNOWLEDGED')?.count).toBe(byDays.byStatus.find((b) => b.key === 'ACKNOWLEDGED')!.count + 1);
    expectSame(dirty, await raw());
    // The day's status clean again with its old build while one of its hours is dirty (a state the
    // marks never leave visible): the dirty hour still wins, the day is served by hours and raw.
    await h.elastic.index({
      index: h.names.dirtyHours,
      id: dayStatusId(day0 + 2 * DAY),
      document: { day: day0 + 2 * DAY, dirty: false, build: day2Build },
      refresh: true,
    });
    expectSame(await computeEventStats(h.stats, span, 'DAY', undefined), await raw());
    await h.elastic.index({ index: h.names.dirtyHours, id: dayStatusId(day0 + 2 * DAY), document: { day: day0 + 2 * DAY, dirty: true }, refresh: true });

    // Recomputed: new builds, exact again, and the older builds of the rebuilt day are gone.
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    const rebuilt = await dayStatus(day0 + 2 * DAY);
    expect(rebuilt).toMatchObject({ dirty: false });
    await h.elastic.indices.refresh({ index: h.names.alias('rollups') });
    const docsOfDay = await h.elastic.search({ index: h.names.alias('rollups'), size: 1000, query: { term: { day: day0 + 2 * DAY } }, _source: ['build'] });
    expect(new Set(docsOfDay.hits.hits.map((hit) => (hit._source as { build: string }).build))).toEqual(new Set([rebuilt!.build]));
    const after = await computeEventStats(h.stats, span, 'DAY', undefined);
    expect(after.byStatus).toEqual(dirty.byStatus);
    expectSame(after, await raw());
    // HOUR histograms never use day documents (they cannot split a day).
    expectSame(await computeEventStats(h.stats, span, 'HOUR', undefined), await computeEventStats(h.stats, span, 'HOUR', undefined, { rollups: false }));
  }, 90000);

  it('keeps a day dirty when an event of it is projected between the worker reading its status and setting it clean', async () => {
    const cam = randomUUID();
    const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
    const ids = Array.from({ length: 48 }, () => randomUUID());
    await h.write([camera(cam, 1)]);
    const written = await h.write(ids.map((id, i) => recorded(id, cam, { occurredAt: new Date(day + (i % 24) * HOUR + 60_000).toISOString() })));
    await h.caughtUp(written[written.length - 1]!.position);
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    const status = async () => (await h.elastic.get<DayStatus>({ index: h.names.dirtyHours, id: dayStatusId(day) }))._source;
    expect(await status()).toMatchObject({ dirty: false });

    // An acknowledgement dirties hour 3 and the day. A worker recomputes the hour, reads the day's
    // status, checks its hours (all clean), sums them; then, just before it writes the day documents,
    // the projector applies an acknowledgement of an event at 07:01 (the race).
    const first = await h.write([lifecycle(ids[3]!, cam, 2)]);
    await h.caughtUp(first[0]!.position);
    let raced: EventEnvelope[] = [];
    const racing = new Proxy(h.elastic, {
      get(target, property) {
        if (property === 'bulk') {
          return async (params: Parameters<Client['bulk']>[0]) => {
            const dayWrite =
              raced.length === 0 && (params.operations ?? []).some((op) => String((op as { index?: { _id?: string } }).index?._id ?? '').startsWith('day:'));
            if (dayWrite) {
              raced = await h.write([lifecycle(ids[7]!, cam, 2)]);
              await h.caughtUp(raced[0]!.position);
            }
            return target.bulk(params);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await new Rollups(new ElasticRollupStore(racing, h.names), h.logger).recomputeDirty(100);
    expect(raced).toHaveLength(1);
    // The compare-and-set failed: the day stays dirty, its racing build is never read, answers are exact.
    expect(await status()).toMatchObject({ dirty: true });
    const whole = { from: new Date(day).toISOString(), to: new Date(day + DAY).toISOString() };
    const answer = await computeEventStats(h.stats, whole, 'DAY', undefined);
    expect(answer.byStatus).toEqual([
      { key: 'OPEN', count: 46 },
      { key: 'ACKNOWLEDGED', count: 2 },
    ]);
    expectSame(answer, await computeEventStats(h.stats, whole, 'DAY', undefined, { rollups: false }));

    // The next run rebuilds the day with both acknowledgements.
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    expect(await status()).toMatchObject({ dirty: false });
    const rebuilt = await computeEventStats(h.stats, whole, 'DAY', undefined);
    expect(rebuilt.byStatus).toEqual(answer.byStatus);
    expectSame(rebuilt, await computeEventStats(h.stats, whole, 'DAY', undefined, { rollups: false }));
  }, 60000);

  it('writes nothing once the worker may no longer write (its lease is running out), and finishes at the next run', async () => {
    const cam = randomUUID();
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 30 * DAY;
    const written = await h.write([
      camera(cam, 1),
      ...Array.from({ length: 5 }, () => recorded(randomUUID(), cam, { occurredAt: new Date(hour + 60_000).toISOString() })),
    ]);
    await h.caughtUp(written[written.length - 1]!.position);
    const hourStatus = async () => (await h.elastic.get<{ dirty: boolean }>({ index: h.names.dirtyHours, id: String(hour) }))._source;
    const hourDocs = async () => {
      await h.elastic.indices.refresh({ index: h.names.alias('rollups') });
      return (await h.elastic.count({ index: h.names.alias('rollups'), query: { bool: { filter: [{ term: { hour } }, { term: { cameraId: cam } }] } } })).count;
    };
    expect(await hourStatus()).toMatchObject({ dirty: true });
    let asked = 0;
    expect(await h.projection.rollups.recomputeDirty(100, Date.now(), () => (asked += 1) < 0)).toBe(0);
    expect(asked).toBe(1);
    expect(await hourStatus()).toMatchObject({ dirty: true });
    expect(await hourDocs()).toBe(0);
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    expect(await hourStatus()).toMatchObject({ dirty: false });
    expect(await hourDocs()).toBeGreaterThan(0);
  }, 60000);

  it('pauses after every call to Elasticsearch (the timed worker paces its catch-up there)', async () => {
    while ((await h.projection.rollups.recomputeDirty(100)) > 0);
    const cam = randomUUID();
    const first = Math.floor(Date.now() / DAY) * DAY - 20 * DAY;
    const hours = [first + HOUR, first + 2 * HOUR, first + DAY + HOUR];
    const written = await h.write([camera(cam, 1), ...hours.map((hour) => recorded(randomUUID(), cam, { occurredAt: new Date(hour + 60_000).toISOString() }))]);
    await h.caughtUp(written[written.length - 1]!.position);
    const log: string[] = [];
    const store = new ElasticRollupStore(h.elastic, h.names);
    const counted = new Proxy(store, {
      get(target, key) {
        const member: unknown = Reflect.get(target, key);
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          log.push(String(key));
          return Reflect.apply(member, target, args) as unknown;
        };
      },
    });
    const cleaned = await new Rollups(counted, h.logger).recomputeDirty(100, Date.now(), undefined, () => {
      log.push('pause');
      return Promise.resolve();
    });
    // Three hours, then their two days; a pause right after each call.
    expect(cleaned).toBe(5);
    const calls = log.filter((entry) => entry !== 'pause').length;
    expect(calls).toBeGreaterThan(5 * 4);
    expect(log).toEqual(Array.from({ length: calls }, (_, i) => [log.filter((entry) => entry !== 'pause')[i], 'pause']).flat());
  }, 60000);

  it('lists every dirty hour past the first page of the status search', async () => {
    const names = viewNames(`${h.namespace}-many`);
    await new IndexAdmin(h.elastic, names).ensureViews();
    const hours = Array.from({ length: 700 }, (_, i) => i * HOUR);
    await h.elastic.bulk({
      operations: hours.flatMap((hour) => [{ index: { _index: names.dirtyHours, _id: String(hour) } }, { hour, dirty: true }]),
      refresh: true,
    });
    try {
      const status = await new ElasticStatsStore(h.elastic, names).rollupStatus({ from: 0, to: 800 * HOUR }, false, true);
      expect(status?.hours.sort((a, b) => a - b)).toEqual(hours);
    } finally {
      await h.elastic.indices.delete({ index: `${h.namespace}-many-*` }).catch(() => undefined);
    }
  });

  it('marks every hour dirty when the rollups predate the dimension documents, then adds the new field', async () => {
    const names = viewNames(`${h.namespace}-old`);
    const { kind: _kind, day: _day, build: _build, ...oldProperties } = MAPPINGS.rollups.properties as Record<string, unknown>;
    await h.elastic.indices.create({
      index: names.newIndex('rollups', 1),
      mappings: { dynamic: 'strict', properties: oldProperties } as never,
      aliases: { [names.alias('rollups')]: { is_write_index: true } },
    });
    await h.elastic.indices.create({ index: names.dirtyHours, mappings: { properties: { hour: { type: 'long' }, dirty: { type: 'boolean' } } } });
    await h.elastic.index({ index: names.dirtyHours, id: '3600000', document: { hour: 3_600_000, dirty: false }, refresh: true });
    try {
      await new IndexAdmin(h.elastic, names).ensureViews(() => new Rollups(new ElasticRollupStore(h.elastic, names), h.logger).markAllDirty());
      const hour = await h.elastic.get<{ dirty: boolean }>({ index: names.dirtyHours, id: '3600000' });
      expect(hour._source?.dirty).toBe(true);
      expect((await h.elastic.get<DayStatus>({ index: names.dirtyHours, id: dayStatusId(0) }))._source).toEqual({ day: 0, dirty: true });
      const mapping = await h.elastic.indices.getMapping({ index: names.alias('rollups') });
      expect(Object.values(mapping)[0]?.mappings.properties?.kind).toBeDefined();
      expect(Object.values(mapping)[0]?.mappings.properties?.day).toBeDefined();
    } finally {
      await h.elastic.indices.delete({ index: `${h.namespace}-old-*` }).catch(() => undefined);
    }
  });

  it('marks every day dirty (hours untouched) when the rollups predate day documents, so the worker builds them', async () => {
    const names = viewNames(`${h.namespace}-noday`);
    const { day: _day, build: _build, ...oldProperties } = MAPPINGS.rollups.properties as Record<string, unknown>;
    await h.elastic.indices.create({
      index: names.newIndex('rollups', 1),
      mappings: { dynamic: 'strict', properties: oldProperties } as never,
      aliases: { [names.alias('rollups')]: { is_write_index: true } },
    });
    await h.elastic.indices.create({
      index: names.dirtyHours,
      mappings: { properties: { hour: { type: 'long' }, dirty: { type: 'boolean' }, sparse: { type: 'boolean' } } },
    });
    const hours = [DAY + 2 * HOUR, DAY + 5 * HOUR, 3 * DAY];
    for (const hour of hours) await h.elastic.index({ index: names.dirtyHours, id: String(hour), document: { hour, dirty: false, sparse: true } });
    await h.elastic.indices.refresh({ index: names.dirtyHours });
    try {
      const missing: string[] = [];
      await new IndexAdmin(h.elastic, names).ensureViews((kind) => {
        missing.push(kind);
        return new Rollups(new ElasticRollupStore(h.elastic, names), h.logger).markAllDirty({ hours: kind === 'dimensions' });
      });
      expect(missing).toEqual(['days']);
      for (const hour of hours) expect((await h.elastic.get<{ dirty: boolean }>({ index: names.dirtyHours, id: String(hour) }))._source?.dirty).toBe(false);
      for (const day of [DAY, 3 * DAY])
        expect((await h.elastic.get<DayStatus>({ index: names.dirtyHours, id: dayStatusId(day) }))._source).toEqual({ day, dirty: true });
      // Until the worker builds them, readers see no clean day: hour documents answer.
      const status = await new ElasticStatsStore(h.elastic, names).rollupStatus({ from: 0, to: 4 * DAY }, false, true);
      expect(status?.days.size).toBe(0);
      const mapping = await h.elastic.indices.getMapping({ index: names.alias('rollups') });
      expect(Object.values(mapping)[0]?.mappings.properties?.day).toBeDefined();
      // The status index got its new fields before the upgrade wrote any status.
      const statusMapping = await h.elastic.indices.getMapping({ index: names.dirtyHours });
      expect(Object.values(statusMapping)[0]?.mappings.properties?.build).toEqual({ type: 'keyword' });
    } finally {
      await h.elastic.indices.delete({ index: `${h.namespace}-noday-*` }).catch(() => undefined);
    }
  });
});
