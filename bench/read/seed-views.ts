import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { EventEnvelope } from '../../lib/events/envelope';
import { changeOf } from '../../subgraphs/query/src/projection/changes';
import { mergeChanges, type ViewDoc } from '../../subgraphs/query/src/projection/merge';
import { IndexAdmin } from '../../subgraphs/query/src/views/index-admin';
import type { ViewNames } from '../../subgraphs/query/src/views/names';
import { SEVERITY_LIST, TYPES } from './setup';

const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

const envelope = (streamId: string, version: number, position: number, type: EventEnvelope['type'], data: Record<string, unknown>, recordedAt: string): EventEnvelope =>
  ({ eventId: randomUUID(), streamId, version, position, type, schemaVersion: 1, occurredAt: recordedAt, recordedAt, data, metadata: { correlationId: 'seed', causationId: null, actor: 'seed' } }) as EventEnvelope;

/**
 * Fills the events view with `count` events spread over the last year, WITHOUT the pipeline (10M
 * events through commands would take hours here): each document is built by the projector's own
 * builder (changeOf + mergeChanges) from synthetic envelopes, and the hourly rollups and hour
 * statuses are computed alongside, as the rollup worker would from the same documents.
 */
export async function seedViews(elastic: Client, names: ViewNames, count: number, cameras = 50): Promise<{ from: number; to: number; rollupDocs: number }> {
  await new IndexAdmin(elastic, names).ensureViews();
  const events = names.alias('events');
  await elastic.indices.putSettings({ index: events, settings: { refresh_interval: '-1' } });
  const to = Math.floor(Date.now() / HOUR) * HOUR;
  const from = to - YEAR;
  const rollups = new Map<string, { hour: number; cameraId: string; type: string; severity: string; status: string; count: number; ackSum: number; ackCount: number; resolveSum: number; resolveCount: number }>();
  let batch: ViewDoc[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const response = await elastic.bulk({ operations: batch.flatMap((doc) => [{ index: { _index: events, _id: doc.id } }, doc]) });
    if (response.errors) throw new Error('seed bulk failed');
    batch = [];
  };
  for (let i = 0; i < count; i += 1) {
    const id = randomUUID();
    const occurred = from + Math.floor((i / count) * YEAR);
    const at = (offset: number) => new Date(occurred + offset).toISOString();
    const cameraId = `cam-${i % cameras}`;
    const list = [envelope(`event-${id}`, 1, 3 * i + 1, 'EventRecorded', { eventId: id, cameraId, type: TYPES[i % TYPES.length], severity: SEVERITY_LIST[(i >> 3) % 5], occurredAt: at(0), source: 'seed', attributes: { i } }, at(500))];
    if (i % 10 >= 7) list.push(envelope(`event-${id}`, 2, 3 * i + 2, 'EventAcknowledged', { eventId: id, cameraId, by: 'op', note: null }, at(60_000 + (i % 600) * 1000)));
    if (i % 10 === 9) list.push(envelope(`event-${id}`, 3, 3 * i + 3, 'EventResolved', { eventId: id, cameraId, by: 'op', note: null }, at(3_600_000)));
    const doc = mergeChanges(undefined, list.map(changeOf))!;
    batch.push(doc);
    const hour = Math.floor(occurred / HOUR) * HOUR;
    const key = `${hour}|${cameraId}|${String(doc.type)}|${String(doc.severity)}|${String(doc.status)}`;
    const r = rollups.get(key) ?? { hour, cameraId, type: String(doc.type), severity: String(doc.severity), status: String(doc.status), count: 0, ackSum: 0, ackCount: 0, resolveSum: 0, resolveCount: 0 };
    r.count += 1;
    if (typeof doc.ackSeconds === 'number') {
      r.ackSum += doc.ackSeconds;
      r.ackCount += 1;
    }
    if (typeof doc.resolveSeconds === 'number') {
      r.resolveSum += doc.resolveSeconds;
      r.resolveCount += 1;
    }
    rollups.set(key, r);
    if (batch.length >= 5000) await flush();
  }
  await flush();
  await elastic.indices.putSettings({ index: events, settings: { refresh_interval: '1s' } });
  const all = [...rollups.entries()];
  for (let i = 0; i < all.length; i += 5000) {
    const ops = all.slice(i, i + 5000).flatMap(([key, doc]) => [{ index: { _index: names.alias('rollups'), _id: key } }, doc]);
    const response = await elastic.bulk({ operations: ops });
    if (response.errors) throw new Error('seed rollups failed');
  }
  const hours = [...new Set(all.map(([, r]) => r.hour))];
  for (let i = 0; i < hours.length; i += 5000) {
    const ops = hours.slice(i, i + 5000).flatMap((hour) => [{ index: { _index: names.dirtyHours, _id: String(hour) } }, { hour, dirty: false }]);
    await elastic.bulk({ operations: ops });
  }
  await elastic.indices.refresh({ index: [events, names.alias('rollups'), names.dirtyHours] });
  await elastic.indices.forcemerge({ index: [events, names.alias('rollups')], max_num_segments: 1 }).catch(() => undefined);
  return { from, to, rollupDocs: all.length };
}
