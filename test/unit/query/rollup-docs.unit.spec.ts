import {
  addToDimension,
  dayOfBuild,
  dayRollupDocs,
  emptyDimensionSums,
  newDayBuild,
  rollupDocs,
  type Combination,
  type Dimension,
  type Sums,
} from '../../../subgraphs/query/src/views/rollup-docs';

const combo = (cameraId: string, type: string, severity: string, status: string, count: number, ack = 0): Combination => ({
  cameraId,
  type,
  severity,
  status,
  count,
  ackSum: ack * count,
  ackCount: ack ? count : 0,
  resolveSum: 0,
  resolveCount: 0,
});

describe('rollup documents', () => {
  it('keeps each combination and adds one document per dimension value whose counts partition the hour', () => {
    const hour = Date.UTC(2026, 0, 1, 5);
    const { docs, dense } = rollupDocs(hour, [
      combo('c1', 'motion', 'LOW', 'OPEN', 3),
      combo('c1', 'person', 'LOW', 'ACKNOWLEDGED', 2, 10),
      combo('c2', 'motion', 'HIGH', 'OPEN', 1),
    ]);
    // 6 events in 3 combinations: dense, so the combinations are kept.
    expect(dense).toBe(true);
    const combinations = docs.filter((d) => d.doc.kind === undefined);
    expect(combinations).toHaveLength(3);
    const dimension = (kind: string) => Object.fromEntries(docs.filter((d) => d.doc.kind === kind).map((d) => [d.doc[kind] as string, d.doc.count]));
    expect(dimension('cameraId')).toEqual({ c1: 5, c2: 1 });
    expect(dimension('type')).toEqual({ motion: 4, person: 2 });
    expect(dimension('severity')).toEqual({ LOW: 5, HIGH: 1 });
    expect(dimension('status')).toEqual({ OPEN: 4, ACKNOWLEDGED: 2 });
    const acknowledged = docs.find((d) => d.doc.kind === 'status' && d.doc.status === 'ACKNOWLEDGED');
    expect(acknowledged?.doc).toMatchObject({ hour, ackSum: 20, ackCount: 2 });
    expect(new Set(docs.map((d) => d.id)).size).toBe(docs.length);
  });

  it('leaves the combination documents out of a sparse hour (about one event per combination)', () => {
    const { docs, dense } = rollupDocs(0, [combo('c1', 'motion', 'LOW', 'OPEN', 1), combo('c2', 'motion', 'LOW', 'OPEN', 2)]);
    expect(dense).toBe(false);
    expect(docs.every((d) => typeof d.doc.kind === 'string')).toBe(true);
    expect(docs.filter((d) => d.doc.kind === 'status').map((d) => d.doc.count)).toEqual([3]);
  });

  it('sums the dimension documents of the hours of a day into day documents of one build', () => {
    const day = Date.UTC(2026, 0, 1);
    const sums = emptyDimensionSums();
    for (const hour of [day + 3_600_000, day + 5 * 3_600_000]) {
      for (const { doc } of rollupDocs(hour, [combo('c1', 'motion', 'LOW', 'OPEN', 1), combo('c2', 'person', 'LOW', 'ACKNOWLEDGED', 1, 30)]).docs) {
        if (typeof doc.kind === 'string') addToDimension(sums, doc.kind as Dimension, String(doc[doc.kind]), doc as unknown as Sums);
      }
    }
    const docs = dayRollupDocs(day, 'b1', sums);
    expect(docs).toHaveLength(2 + 2 + 1 + 2);
    expect(docs.every((d) => d.doc.day === day && d.doc.hour === day && d.doc.build === 'b1' && d.id.includes('|b1|'))).toBe(true);
    expect(docs.find((d) => d.doc.kind === 'status' && d.doc.status === 'ACKNOWLEDGED')?.doc).toMatchObject({ count: 2, ackSum: 60, ackCount: 2 });
    expect(docs.find((d) => d.doc.kind === 'severity')?.doc).toMatchObject({ severity: 'LOW', count: 4 });
    // Build ids name their day; another build of the same day never shares a document id with this one.
    expect(dayOfBuild(newDayBuild(day))).toBe(day);
    expect(dayOfBuild('b1')).toBeUndefined();
    expect(dayRollupDocs(day, 'b2', sums).some((d) => docs.some((o) => o.id === d.id))).toBe(false);
  });
});
