import { randomUUID } from 'node:crypto';
import { routingKeyOf, toWire } from '../../../lib/events/envelope';
import { computeEventStats } from '../../../subgraphs/query/src/read/event-stats';
import { ReadSideHarness, camera, lifecycle, recorded } from './harness';

describe('projector against Elasticsearch, RabbitMQ and the event store', () => {
  const h = new ReadSideHarness('projector');
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('projects cameras and events, masks credentials, and answers stats', async () => {
    const cam = randomUUID();
    const ids = Array.from({ length: 30 }, () => randomUUID());
    await h.write([camera(cam, 1, { name: 'Gate', tags: ['outdoor'] })]);
    await h.write(ids.map((id, i) => recorded(id, cam, { type: i % 3 === 0 ? 'person' : 'motion', severity: i % 2 ? 'HIGH' : 'LOW' })));
    const last = await h.write([lifecycle(ids[0]!, cam, 2), lifecycle(ids[1]!, cam, 2), lifecycle(ids[1]!, cam, 3)]);
    await h.caughtUp(last[last.length - 1]!.position);

    const cams = await h.reader.getMany('cameras', [cam]);
    expect(cams.get(cam)).toMatchObject({ name: 'Gate', tags: ['outdoor'], status: 'ACTIVE', version: 1 });
    expect(String(cams.get(cam)?.rtspUrl)).not.toContain('secret');

    const events = await h.reader.getMany('events', [ids[0]!, ids[1]!]);
    expect(events.get(ids[0]!)).toMatchObject({ status: 'ACKNOWLEDGED', version: 2, acknowledgedBy: 'op' });
    expect(events.get(ids[1]!)).toMatchObject({ status: 'RESOLVED', version: 3 });

    const stats = await computeEventStats(h.stats, { cameraIds: [cam] }, 'HOUR', undefined);
    expect(stats.total).toBe(30);
    expect(stats.byType).toEqual([
      { key: 'motion', count: 20 },
      { key: 'person', count: 10 },
    ]);
    expect(stats.byStatus).toEqual([
      { key: 'OPEN', count: 28 },
      { key: 'ACKNOWLEDGED', count: 1 },
      { key: 'RESOLVED', count: 1 },
    ]);
    expect(stats.meanTimeToAcknowledgeSeconds).not.toBeNull();
    expect(stats.histogram.reduce((n, b) => n + b.count, 0)).toBe(30);
  });

  it('ends in the same state whatever the delivery order and however many duplicates', async () => {
    const cam = randomUUID();
    const id = randomUUID();
    const envelopes = await h.write(
      [recorded(id, cam), lifecycle(id, cam, 2), lifecycle(id, cam, 3), camera(cam, 1), camera(cam, 2, { name: 'Renamed' })],
      false,
    );
    // Reversed, then everything again: what competing consumers and redelivery can produce.
    const shuffled = [...envelopes].reverse().concat(envelopes);
    await h.publish(shuffled);
    await h.caughtUp(Math.max(...envelopes.map((e) => e.position)));
    const doc = (await h.reader.getMany('events', [id])).get(id);
    expect(doc).toMatchObject({ status: 'RESOLVED', version: 3, applied: [1, 2, 3], acknowledgedBy: 'op', type: 'motion' });
    const cameraDoc = (await h.reader.getMany('cameras', [cam])).get(cam);
    expect(cameraDoc).toMatchObject({ name: 'Renamed', version: 2 });
  });

  it('acks a redelivery of events already at or below the position without applying them again', async () => {
    const cam = randomUUID();
    const first = await h.write([camera(cam, 1), ...Array.from({ length: 5 }, () => recorded(randomUUID(), cam))]);
    await h.caughtUp(first[first.length - 1]!.position);
    const { applied, skippedApplied } = h.projection.projector.health;
    // What a broker replay or a redelivery after a lost channel brings, then one new event (the queue keeps the order).
    await h.publish(first);
    const next = await h.write([recorded(randomUUID(), cam)]);
    await h.caughtUp(next[0]!.position);
    expect(h.projection.projector.health.skippedApplied - skippedApplied).toBe(first.length);
    expect(h.projection.projector.health.applied - applied).toBe(1);
  });

  it('projects stored events that no delivery brings (relayed to a broker that is gone) and moves on past them', async () => {
    const cam = randomUUID();
    const lost = Array.from({ length: 5 }, () => randomUUID());
    const delivered = Array.from({ length: 3 }, () => randomUUID());
    // Stored, never published here: what a switch to a new broker leaves behind.
    await h.write([camera(cam, 1), ...lost.map((id) => recorded(id, cam))], false);
    const last = await h.write(delivered.map((id) => recorded(id, cam)));
    await h.caughtUp(last[last.length - 1]!.position);
    const events = await h.reader.getMany('events', [...lost, ...delivered]);
    expect(events.size).toBe(8);
    expect((await h.reader.getMany('cameras', [cam])).get(cam)).toMatchObject({ version: 1 });
    expect(h.projection.runtime.checkpoint.strandedApplied).toBeGreaterThanOrEqual(6);
  });

  it('dead-letters a poison event with its reason and goes on', async () => {
    const channel = h.publisher;
    channel.publish(h.amqpNames.eventsExchange, 'event.Bogus', Buffer.from('{not json'), { persistent: true });
    const good = await h.write([camera(randomUUID(), 1)], false);
    // Not in the store (a made-up position): only this wire copy exists, and it is unusable.
    const bad = { ...toWire({ ...good[0]!, position: 9_000_000_000 }), type: 'Unknown' };
    channel.publish(h.amqpNames.eventsExchange, routingKeyOf('EventRecorded'), Buffer.from(JSON.stringify(bad)), { persistent: true });
    await h.publish(good);
    await channel.waitForConfirms();
    await h.caughtUp(good[0]!.position);
    const reasons: string[] = [];
    for (let i = 0; i < 50 && reasons.length < 2; i += 1) {
      const message = await channel.get(h.amqpNames.projectorDlq, { noAck: true });
      if (message) reasons.push(String(message.properties.headers?.['x-rejection-reason']));
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(reasons.sort()).toEqual(['body is not JSON', 'unknown event type Unknown']);
    const statuses = await h.projection.status.statuses();
    expect(statuses.find((s) => s.name === 'events')?.deadLettered).toBeGreaterThanOrEqual(2);
  });
});
