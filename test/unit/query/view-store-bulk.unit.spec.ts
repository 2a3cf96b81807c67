import type { Client } from '@elastic/elasticsearch';
import type { Change } from '../../../subgraphs/query/src/views/view-doc';
import { ViewStore } from '../../../subgraphs/query/src/views/view-store';

/** New event documents of `bytes` each (their creating change: written blind, no read first). */
const creating = (count: number, bytes: number): Change[] =>
  Array.from({ length: count }, (_, i) => ({
    view: 'events',
    id: `e${i}`,
    streamVersion: 1,
    position: i + 1,
    creates: true,
    groups: {
      record: {
        cameraId: 'c',
        type: 'motion',
        severity: 'LOW',
        occurredAt: '2026-12-02T10:00:00Z',
        recordedAt: '2026-12-02T10:00:00Z',
        source: 't',
        attributesText: 'x'.repeat(bytes),
      },
    },
  }));

/**
 * A fake Elasticsearch at the boundary that answers 413, as a real node does, to any bulk body over
 * `maxBytes` (its `http.max_content_length`), and writes the rest.
 */
function elasticWithLimit(maxBytes: number) {
  const written: string[] = [];
  const bodies: number[] = [];
  const client = {
    async bulk({ operations }: { operations: Array<Record<string, unknown>> }) {
      const size = operations.reduce((sum, op) => sum + JSON.stringify(op).length + 1, 0);
      bodies.push(size);
      if (size > maxBytes) throw Object.assign(new Error('Request Entity Too Large'), { meta: { statusCode: 413 } });
      const items = [];
      for (let i = 0; i < operations.length; i += 2) {
        const action = operations[i] as { create?: { _id: string } };
        written.push(action.create!._id);
        items.push({ create: { status: 201 } });
      }
      return { errors: false, items };
    },
  };
  return { client: client as unknown as Client, written, bodies };
}

describe('ViewStore bulk', () => {
  it('splits a bulk that is over the body limit instead of retrying it unchanged', async () => {
    const es = elasticWithLimit(60_000);
    const result = await new ViewStore(es.client).apply(creating(40, 5_000), () => [{ alias: 'v', optional: false }], { markRollups: false });
    expect(result.refused).toEqual([]);
    expect(result.written).toBe(40);
    expect(es.written.sort()).toEqual(
      creating(40, 5_000)
        .map((c) => c.id)
        .sort(),
    );
    expect(es.bodies[0]).toBeGreaterThan(60_000);
  });

  it('reports a document too large on its own as refused, and writes the others', async () => {
    const es = elasticWithLimit(60_000);
    const changes = [...creating(3, 1_000), { ...creating(1, 80_000)[0]!, id: 'huge', position: 9 }];
    const result = await new ViewStore(es.client).apply(changes, () => [{ alias: 'v', optional: false }], { markRollups: false });
    expect(result.written).toBe(3);
    expect(result.refused).toEqual([{ view: 'events', id: 'huge', reason: expect.stringMatching(/request_entity_too_large/) }]);
  });
});
