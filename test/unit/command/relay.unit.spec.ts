import { createInMemoryEventStore } from '../../../lib/event-store/in-memory-event-store';
import type { EventEnvelope } from '../../../lib/events/envelope';
import { createLogger } from '../../../lib/logging/logger';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { recordEvents } from '../../../subgraphs/command/src/application/event-recorder';
import { Relay } from '../../../subgraphs/command/src/relay/relay';
import type { EventPublisher, RelayCheckpoint } from '../../../subgraphs/command/src/relay/relay-ports';

/** The relay's checkpoint and lease in memory (the MongoDB one is proven in test/int/command). */
function memoryCheckpoint(): RelayCheckpoint & { position: number } {
  let holder: { owner: string; until: number } | undefined;
  const held = (owner: string) => !holder || holder.owner === owner || holder.until < Date.now();
  return {
    position: 0,
    async acquire(owner, ttlMs) {
      if (!held(owner)) return null;
      holder = { owner, until: Date.now() + ttlMs };
      return this.position;
    },
    async save(owner, position, ttlMs) {
      if (holder?.owner !== owner) return false;
      this.position = position;
      holder = { owner, until: Date.now() + ttlMs };
      return true;
    },
    async renew(owner, ttlMs) {
      if (holder?.owner !== owner) return false;
      holder = { owner, until: Date.now() + ttlMs };
      return true;
    },
    async release(owner) {
      if (holder?.owner === owner) holder = undefined;
    },
  };
}

async function eventually(check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries += 1) {
    if (tries > 1000) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('outbox relay on the in-memory event store', () => {
  it('publishes every stored event once, in position order, each naming the one published before it', async () => {
    const store = createInMemoryEventStore();
    const published: Array<{ envelope: EventEnvelope; previous: number }> = [];
    const publisher: EventPublisher = {
      async publish(envelopes, previousPosition) {
        let previous = previousPosition;
        for (const envelope of envelopes) {
          published.push({ envelope, previous });
          previous = envelope.position;
        }
      },
    };
    const checkpoint = memoryCheckpoint();
    const relay = new Relay(store, checkpoint, publisher, createLogger('test', 'silent'), { batchSize: 2, pollMs: 20, leaseTtlMs: 1000, checkpointEveryMs: 0 });
    store.onAppended(() => relay.nudge());
    relay.start();
    try {
      const service = new CommandService(store);
      const context = { actor: 'a', correlationId: 'c', causationId: null };
      await service.registerCamera({ kind: 'RegisterCamera', cameraId: 'cam-1', name: 'c', site: null, rtspUrl: 'rtsp://127.0.0.1/c', tags: [] }, context);
      const input = (id: string) => ({ id, cameraId: 'cam-1', type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z' });
      await recordEvents(
        service,
        ['a', 'b', 'c'].map((id) => ({ input: input(id), source: 'graphql', context })),
      );
      await service.changeIncident({ kind: 'AcknowledgeEvent', eventId: 'b', by: 'op', note: null }, undefined, context);
      await eventually(() => published.length === 5 && checkpoint.position === published[4]?.envelope.position);
    } finally {
      await relay.stop();
    }
    const positions = published.map((p) => p.envelope.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(published.map((p) => p.previous)).toEqual([0, ...positions.slice(0, -1)]);
    expect(published.map((p) => p.envelope.type)).toEqual(['CameraRegistered', 'EventRecorded', 'EventRecorded', 'EventRecorded', 'EventAcknowledged']);
  });
});
