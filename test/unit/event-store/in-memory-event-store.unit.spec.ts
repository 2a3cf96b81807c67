import { randomUUID } from 'node:crypto';
import { createInMemoryEventStore } from '../../../lib/event-store/in-memory-event-store';
import { cameraCandidate, collect, eventStoreContract } from '../../int/event-store/event-store-contract';

describe('in-memory event store: the port contract', () => {
  eventStoreContract({ store: createInMemoryEventStore });
});

describe('in-memory event store: what the MongoDB adapter does beyond the contract', () => {
  it('never shares an object with its readers: what a reader changes is not stored', async () => {
    const store = createInMemoryEventStore();
    const id = randomUUID();
    await store.append([cameraCandidate(id, 1, 'kept')]);
    const [first] = await store.readStream(`camera-${id}`);
    if (first?.type === 'CameraRegistered') first.data.name = 'changed';
    const [again] = await store.readStream(`camera-${id}`);
    expect(again).toMatchObject({ data: { name: 'kept' } });
  });

  it('leaves the position of a lost candidate unused and tells its listeners the last position of a commit', async () => {
    const store = createInMemoryEventStore();
    const taken = randomUUID();
    await store.append([cameraCandidate(taken, 1)]);
    const told: number[] = [];
    store.onAppended((position) => told.push(position));
    const { outcomes } = await store.append([cameraCandidate(taken, 1), cameraCandidate(randomUUID(), 1)]);
    expect(outcomes.map((o) => o.status)).toEqual(['conflict', 'written']);
    expect(told).toEqual([2001]);
    expect((await collect(store.readAll(1000))).map((e) => e.position)).toEqual([2001]);
    expect(await store.headPosition()).toBe(2999);
  });

  it('refuses one event larger than a commit holds, writing nothing (BAD_USER_INPUT)', async () => {
    const store = createInMemoryEventStore();
    const huge = { ...cameraCandidate(randomUUID(), 1), metadata: { correlationId: 'x'.repeat(9 * 1024 * 1024), causationId: null, actor: 'a' } };
    await expect(store.append([huge])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await store.headPosition()).toBe(0);
  });

  it('keeps snapshots insert-only', async () => {
    const store = createInMemoryEventStore();
    await store.saveSnapshot('camera-a', 100, 'first');
    await store.saveSnapshot('camera-a', 100, 'second');
    expect(await store.loadSnapshot('camera-a', 100)).toBe('first');
    expect(await store.loadSnapshot('camera-a', 200)).toBeNull();
  });
});
