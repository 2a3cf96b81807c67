import { randomUUID } from 'node:crypto';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { EventEnvelope } from '../../lib/events/envelope';
import { changeOf } from '../../subgraphs/query/src/projection/changes';
import { mergeChanges } from '../../subgraphs/query/src/views/view-doc';
import { IndexAdmin } from '../../subgraphs/query/src/views/index-admin';
import {
  addToDimension,
  dayOf,
  dayRollupDocs,
  emptyDimensionSums,
  newDayBuild,
  rollupDocs,
  type Combination,
  type Dimension,
  type Sums,
} from '../../subgraphs/query/src/views/rollup-docs';
import { dayStatusId } from '../../subgraphs/query/src/views/rollup-store';
import type { ViewNames } from '../../subgraphs/query/src/views/names';
import { SEVERITY_LIST, TYPES } from './setup';

const HOUR = 3_600_000;
type BulkOperations = NonNullable<estypes.BulkRequest['operations']>;
const YEAR = 365 * 24 * HOUR;
const DAY = 24 * HOUR;

const envelope = (
  streamId: string,
  version: number,
  position: number,
  type: EventEnvelope['type'],
  data: Record<string, unknown>,
  recordedAt: string,
): EventEnvelope =>
  ({
    id: randomUUID(),
    streamId,
    version,
    position,
    type,
    schemaVersion: 1,
    occurredAt: recordedAt,
    recordedAt,
    data,
    metadata: { correlationId: 'seed', causationId: null, actor: 'seed' },
  }) as EventEnvelope;

/**
 * Fills the events view with `count` events spread over the last year, WITHOUT the pipeline (10M
 * events through commands would take hours here): each document is built by the projector's own
 * builder (changeOf + mergeChanges) from synthetic envelopes, and the rollups (hour documents of
 * both kinds and day documents, rollup-docs.ts) and hour and day statuses are computed alongside,
 * as the rollup worker would from the same documents: every day that is over gets its day
 * documents (built from its hours' dimension documents) and a clean status; today stays dirty. Bulks of 5,000 with two in flight, so building overlaps indexing.
 */
export async function seedViews(
  elastic: Client,
  names: ViewNames,
  count: number,
  cameras = 50,
): Promise<{ from: number; to: number; rollupDocs: number; dayDocs: number; hours: number; sparseHours: number }> {
  await new IndexAdmin(elastic, names).ensureViews();
  const events = names.alias('events');
  await elastic.indices.putSettings({ index: [events, names.alias('rollups')], settings: { refresh_interval: '-1' } });
  const to = Math.floor(Date.now() / HOUR) * HOUR;
  const from = to - YEAR;
  const inFlight = new Set<Promise<void>>();
  const send = async (operations: BulkOperations): Promise<void> => {
    while (inFlight.size >= 2) await Promise.race(inFlight);
    const request = elastic.bulk({ operations, filter_path: 'errors' }).then((response) => {
      if (response.errors) throw new Error('seed bulk failed');
    });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  let hour = -1;
  let combinations = new Map<string, Combination>();
  let rollupCount = 0;
  let sparseHours = 0;
  let rollupOps: BulkOperations = [];
  let day = -1;
  let daySums = emptyDimensionSums();
  let dayDocCount = 0;
  const closeDay = () => {
    if (day < 0) return;
    const status = { index: { _index: names.dirtyHours, _id: dayStatusId(day) } };
    if (day + DAY <= to) {
      const build = newDayBuild(day);
      for (const { id, doc } of dayRollupDocs(day, build, daySums)) {
        rollupOps.push({ index: { _index: names.alias('rollups'), _id: id } }, doc);
        dayDocCount += 1;
      }
      rollupOps.push(status, { day, dirty: false, build });
    } else rollupOps.push(status, { day, dirty: true });
    daySums = emptyDimensionSums();
  };
  const closeHour = async () => {
    if (hour < 0) return;
    const { docs, dense } = rollupDocs(hour, combinations.values());
    for (const { id, doc } of docs) {
      rollupOps.push({ index: { _index: names.alias('rollups'), _id: id } }, doc);
      rollupCount += 1;
      if (typeof doc.kind === 'string') addToDimension(daySums, doc.kind as Dimension, String(doc[doc.kind]), doc as unknown as Sums);
    }
    if (!dense) sparseHours += 1;
    rollupOps.push({ index: { _index: names.dirtyHours, _id: String(hour) } }, { hour, dirty: false, sparse: !dense });
    if (rollupOps.length >= 10_000) {
      await send(rollupOps);
      rollupOps = [];
    }
    combinations = new Map();
  };
  let batch: BulkOperations = [];
  for (let i = 0; i < count; i += 1) {
    const id = randomUUID();
    const occurred = from + Math.floor((i / count) * YEAR);
    const at = (offset: number) => new Date(occurred + offset).toISOString();
    const cameraId = `cam-${i % cameras}`;
    const list = [
      envelope(
        `event-${id}`,
        1,
        3 * i + 1,
        'EventRecorded',
        { eventId: id, cameraId, type: TYPES[i % TYPES.length], severity: SEVERITY_LIST[(i >> 3) % 5], occurredAt: at(0), source: 'seed', attributes: { i } },
        at(500),
      ),
    ];
    if (i % 10 >= 7)
      list.push(envelope(`event-${id}`, 2, 3 * i + 2, 'EventAcknowledged', { eventId: id, cameraId, by: 'op', note: null }, at(60_000 + (i % 600) * 1000)));
    if (i % 10 === 9) list.push(envelope(`event-${id}`, 3, 3 * i + 3, 'EventResolved', { eventId: id, cameraId, by: 'op', note: null }, at(3_600_000)));
    const doc = mergeChanges(undefined, list.map(changeOf))!;
    batch.push({ index: { _index: events, _id: doc.id } }, doc);
    const docHour = Math.floor(occurred / HOUR) * HOUR;
    if (docHour !== hour) {
      await closeHour();
      hour = docHour;
      if (dayOf(docHour) !== day) {
        closeDay();
        day = dayOf(docHour);
      }
    }
    const key = `${cameraId}|${String(doc.type)}|${String(doc.severity)}|${String(doc.status)}`;
    const c = combinations.get(key) ?? {
      cameraId,
      type: String(doc.type),
      severity: String(doc.severity),
      status: String(doc.status),
      count: 0,
      ackSum: 0,
      ackCount: 0,
      resolveSum: 0,
      resolveCount: 0,
    };
    c.count += 1;
    if (typeof doc.ackSeconds === 'number') {
      c.ackSum += doc.ackSeconds;
      c.ackCount += 1;
    }
    if (typeof doc.resolveSeconds === 'number') {
      c.resolveSum += doc.resolveSeconds;
      c.resolveCount += 1;
    }
    combinations.set(key, c);
    if (batch.length >= 10_000) {
      await send(batch);
      batch = [];
    }
  }
  await closeHour();
  closeDay();
  if (batch.length > 0) await send(batch);
  if (rollupOps.length > 0) await send(rollupOps);
  await Promise.all(inFlight);
  await elastic.indices.putSettings({ index: [events, names.alias('rollups')], settings: { refresh_interval: '1s' } });
  await elastic.indices.refresh({ index: [events, names.alias('rollups'), names.dirtyHours] });
  // The rollups are merged like a settled index would be; the events index is left as indexing
  // left it (merging gigabytes here would take minutes of the shared machine).
  await elastic.indices.forcemerge({ index: names.alias('rollups'), max_num_segments: 1 }).catch(() => undefined);
  return { from, to, rollupDocs: rollupCount, dayDocs: dayDocCount, hours: YEAR / HOUR, sparseHours };
}
