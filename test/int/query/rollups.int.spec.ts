import { randomUUID } from 'node:crypto';
import { computeEventStats, type EventStats } from '../../../subgraphs/query/src/read/event-stats';
import { IndexAdmin } from '../../../subgraphs/query/src/views/index-admin';
import { MAPPINGS } from '../../../subgraphs/query/src/views/mappings';
import { viewNames } from '../../../subgraphs/query/src/views/names';
import { Rollups } from '../../../subgraphs/query/src/views/rollups';
import { ReadSideHarness, camera, lifecycle, recorded } from './harness';

const HOUR = 3_600_000;

/** Rollup answers must equal the raw aggregation (means up to float summation order). */
function expectSame(rolled: EventStats, raw: EventStats): void {
  const { usedRollups: _u, rollupKind: _k, meanTimeToAcknowledgeSeconds: ack, meanTimeToResolveSeconds: resolve, ...rest } = rolled;
  const { usedRollups: _u2, rollupKind: _k2, meanTimeToAcknowledgeSeconds: rawAck, meanTimeToResolveSeconds: rawResolve, ...rawRest } = raw;
  expect(rest).toEqual(rawRest);
  for (const [a, b] of [[ack, rawAck], [resolve, rawResolve]] as const) {
    if (b === null) expect(a).toBeNull();
    else expect(a).toBeCloseTo(b, 6);
  }
}

describe('hourly rollups', () => {
  const h = new ReadSideHarness('rollups');
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('serve long ranges exactly, and stay exact when an old event is acknowledged', async () => {
    const cam = randomUUID();
    const base = Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR;
    const ids = Array.from({ length: 120 }, () => randomUUID());
    const other = randomUUID();
    await h.write([camera(cam, 1), camera(other, 1)]);
    const written = await h.write([
      ...ids.map((id, i) => recorded(id, cam, { type: i % 4 ? 'motion' : 'person', severity: i % 3 ? 'LOW' : 'HIGH', occurredAt: new Date(base + (i % 30) * HOUR + 60_000 * (i % 50)).toISOString() })),
      // Another camera, sparse: most of its hours hold one event.
      ...Array.from({ length: 25 }, (_, i) => recorded(randomUUID(), other, { type: i % 2 ? 'vehicle' : 'motion', severity: 'CRITICAL', occurredAt: new Date(base + i * 1.5 * HOUR).toISOString() })),
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
    expect(rolled.byType).toEqual([{ key: 'motion', count: 90 }, { key: 'person', count: 30 }]);
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
    expect(dirty.byStatus).toEqual([{ key: 'OPEN', count: 118 }, { key: 'ACKNOWLEDGED', count: 2 }]);
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
    expect(afterAcks.byStatus).toEqual([{ key: 'OPEN', count: 143 }, { key: 'ACKNOWLEDGED', count: 2 }]);
    expectSame(afterAcks, await computeEventStats(h.stats, span, 'HOUR', undefined, { rollups: false }));
  }, 60000);

  it('marks every hour dirty when the rollups predate the dimension documents, then adds the new field', async () => {
    const names = viewNames(`${h.namespace}-old`);
    const { kind: _kind, ...oldProperties } = MAPPINGS.rollups.properties as Record<string, unknown>;
    await h.elastic.indices.create({ index: names.newIndex('rollups', 1), mappings: { dynamic: 'strict', properties: oldProperties } as never, aliases: { [names.alias('rollups')]: { is_write_index: true } } });
    await h.elastic.indices.create({ index: names.dirtyHours, mappings: { properties: { hour: { type: 'long' }, dirty: { type: 'boolean' } } } });
    await h.elastic.index({ index: names.dirtyHours, id: '3600000', document: { hour: 3_600_000, dirty: false }, refresh: true });
    try {
      await new IndexAdmin(h.elastic, names).ensureViews(() => new Rollups(h.elastic, names, h.logger).markAllDirty());
      const hour = await h.elastic.get<{ dirty: boolean }>({ index: names.dirtyHours, id: '3600000' });
      expect(hour._source?.dirty).toBe(true);
      const mapping = await h.elastic.indices.getMapping({ index: names.alias('rollups') });
      expect(Object.values(mapping)[0]?.mappings.properties?.kind).toBeDefined();
    } finally {
      await h.elastic.indices.delete({ index: `${h.namespace}-old-*` }).catch(() => undefined);
    }
  });
});
